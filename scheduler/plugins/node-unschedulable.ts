// NodeUnschedulable: cordoned nodes (spec.unschedulable) take no new pods, unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
import { unresolvable, type FilterPlugin, type Status } from '../framework.ts';
import type { Node, Pod } from '../types.ts';
import { tolerationsTolerateTaint } from './taint-toleration.ts';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export function nodeUnschedulableFilter(pod: Pod, node: Node): Status | undefined {
  if (!node.spec?.unschedulable) return undefined;
  if (tolerationsTolerateTaint(pod.spec?.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' })) return undefined;
  return unresolvable(ERR_REASON_UNSCHEDULABLE);
}

export const nodeUnschedulablePlugin: FilterPlugin = {
  name: NAME,
  filter: (ctx, node) => nodeUnschedulableFilter(ctx.pod, node.node),
};
