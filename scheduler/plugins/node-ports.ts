// NodePorts: a pod's host ports must be free on the node (same protocol and port, and the
// same host IP or either side on 0.0.0.0).
import { podHostPorts, unschedulable, type FilterPlugin, type HostPort, type Status } from '../framework.ts';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

export function portsConflict(wanted: HostPort[], used: HostPort[]): boolean {
  for (const w of wanted) {
    for (const u of used) {
      if (u.port !== w.port || u.protocol !== w.protocol) continue;
      if (u.ip === w.ip || u.ip === '0.0.0.0' || w.ip === '0.0.0.0') return true;
    }
  }
  return false;
}

export function nodePortsFilter(wanted: HostPort[], used: HostPort[]): Status | undefined {
  return wanted.length > 0 && portsConflict(wanted, used) ? unschedulable(ERR_REASON) : undefined;
}

export const nodePortsPlugin: FilterPlugin = {
  name: NAME,
  preFilter: (ctx) => {
    ctx.state.set(NAME, podHostPorts(ctx.pod));
    return undefined;
  },
  filter: (ctx, node) => nodePortsFilter((ctx.state.get(NAME) as HostPort[] | undefined) ?? [], node.usedPorts),
};
