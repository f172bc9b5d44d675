// The DefaultTolerationSeconds admission plugin (upstream plugin/pkg/admission/
// defaulttolerationseconds): every pod created or updated without a toleration of the
// node.kubernetes.io/not-ready and node.kubernetes.io/unreachable NoExecute taints gets one
// for 300 s, so that the taint-based eviction of a failed node's pods waits five minutes
// unless the pod says otherwise.
import type { KubeObject } from '../registry/descriptor.ts';

/** Upstream's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

type Toleration = { key?: unknown; effect?: unknown; [k: string]: unknown };

/** Adds the default tolerations the pod lacks (a toleration with no key or no effect covers them too). */
export function admitDefaultTolerationSeconds(pod: KubeObject): void {
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return;
  const s = spec as { tolerations?: unknown };
  if (s.tolerations !== undefined && s.tolerations !== null && !Array.isArray(s.tolerations)) return;
  const tolerations = (s.tolerations ?? []) as Toleration[];
  const tolerates = (key: string) =>
    tolerations.some((t) => t && typeof t === 'object' && (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const added = TAINTS.filter((key) => !tolerates(key)).map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS }));
  if (added.length) s.tolerations = [...tolerations, ...added];
}
