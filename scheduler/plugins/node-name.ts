// NodeName: a pod that names its node (spec.nodeName) fits only there.
import { unresolvable, type FilterPlugin, type Status } from '../framework.ts';
import type { Node, Pod } from '../types.ts';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

export function nodeNameFilter(pod: Pod, node: Node): Status | undefined {
  const want = pod.spec?.nodeName;
  if (!want || want === node.metadata?.name) return undefined;
  return unresolvable(ERR_REASON);
}

export const nodeNamePlugin: FilterPlugin = {
  name: NAME,
  filter: (ctx, node) => nodeNameFilter(ctx.pod, node.node),
};
