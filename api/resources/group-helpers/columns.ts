// Printer columns shared by the named-group descriptors, as upstream's printers.go defines them.
import type { KubeObject, PrinterColumn } from '../../registry/descriptor.ts';
import { asArr, asObj, asStr, at } from './object.ts';
import { formatLabelSelector } from './selectors.ts';

/** AGE and the NAME marker (events, storage classes) are core's. */
export { ageColumn, nameColumn } from '../core/common.ts';

/** layoutContainerCells: names and images of the containers, comma-separated. */
export function containerCells(podSpec: unknown): { names: string; images: string } {
  const containers = asArr(asObj(podSpec).containers).map(asObj);
  return { names: containers.map((c) => asStr(c.name)).join(','), images: containers.map((c) => asStr(c.image)).join(',') };
}

/** The wide CONTAINERS and IMAGES columns of a workload whose pod spec lives at `podSpecPath`. */
export function containerColumns(podSpecPath: string): PrinterColumn[] {
  return [
    {
      name: 'Containers',
      type: 'string',
      description: 'Names of each container in the template.',
      priority: 1,
      cell: (obj) => containerCells(at(obj, podSpecPath)).names,
    },
    {
      name: 'Images',
      type: 'string',
      description: 'Images referenced by each container in the template.',
      priority: 1,
      cell: (obj) => containerCells(at(obj, podSpecPath)).images,
    },
  ];
}

/** The wide SELECTOR column as metav1.FormatLabelSelector prints the selector at `path`. */
export function selectorColumn(path: string, description: string): PrinterColumn {
  return {
    name: 'Selector',
    type: 'string',
    description,
    priority: 1,
    cell: (obj) => formatLabelSelector(at(obj, path)),
  };
}

/** A column reading an integer (Go int32/int64 fields: 0 when unset). */
export function intCell(path: string): (obj: KubeObject) => number {
  return (obj) => {
    const v = at(obj, path);
    return typeof v === 'number' ? v : 0;
  };
}

export const SELECTOR_DOC =
  'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.';
