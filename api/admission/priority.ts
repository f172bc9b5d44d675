// The Priority admission plugin (upstream plugin/pkg/admission/priority):
// - a new pod's spec.priorityClassName resolves to spec.priority and spec.preemptionPolicy from
//   that PriorityClass; without a name, the globalDefault class applies (the lowest-valued one if
//   several), else priority 0 and PreemptLowerPriority. An unknown class, or a priority or
//   preemptionPolicy the pod sets that differs from the class's, is 403 Forbidden;
// - an update that leaves them out keeps the pod's priority and preemptionPolicy;
// - a PriorityClass may be globalDefault only if no other one is.
// The API server also creates the system classes (system-cluster-critical, system-node-critical).
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { SYSTEM_PRIORITY_CLASSES } from '../resources/scheduling/priorityclasses.ts';

const DEFAULT_PREEMPTION_POLICY = 'PreemptLowerPriority';

const SYSTEM_DESCRIPTIONS: Record<string, string> = {
  'system-node-critical': 'Used for system critical pods that must not be moved from their current node.',
  'system-cluster-critical': 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
};

/** The system PriorityClasses every cluster has (upstream's SystemPriorityClasses). */
export function systemPriorityClasses(): KubeObject[] {
  return Object.entries(SYSTEM_PRIORITY_CLASSES).map(([name, value]) => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    description: SYSTEM_DESCRIPTIONS[name],
  }));
}

type Spec = { priority?: unknown; priorityClassName?: unknown; preemptionPolicy?: unknown; [k: string]: unknown };

/** The pod's spec; undefined when it is no object (validation refuses the pod then). */
function specOf(pod: KubeObject): Spec | undefined {
  const spec = pod.spec;
  return spec && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Spec) : undefined;
}

const isSet = (v: unknown) => v !== undefined && v !== null;

/** admission.NewForbidden: `<resource> "<name>" is forbidden: <message>`. */
export function forbidden(resource: string, group: string, name: string, message: string): ApiError {
  return new ApiError(403, 'Forbidden', `${group ? `${resource}.${group}` : resource} "${name}" is forbidden: ${message}`, { name, group: group || undefined, kind: resource });
}

/** getDefaultPriorityClass: the globalDefault class with the lowest value. */
export function defaultPriorityClass(classes: readonly KubeObject[]): KubeObject | undefined {
  let best: KubeObject | undefined;
  for (const pc of classes) {
    if (pc.globalDefault !== true) continue;
    if (!best || Number(pc.value ?? 0) < Number(best.value ?? 0)) best = pc;
  }
  return best;
}

/**
 * admitPod on create. `name` names the pod in errors (its generateName when the name is
 * still to be generated, as upstream's admission sees it).
 */
export function admitPodPriority(pod: KubeObject, classes: readonly KubeObject[], name: string): void {
  const spec = specOf(pod);
  if (!spec) return;
  const className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let priority = 0;
  let policy: unknown = DEFAULT_PREEMPTION_POLICY;
  if (!className) {
    const pc = defaultPriorityClass(classes);
    if (pc) {
      spec.priorityClassName = pc.metadata?.name;
      priority = Number(pc.value ?? 0);
      policy = pc.preemptionPolicy;
    }
  } else {
    const pc = classes.find((c) => c.metadata?.name === className);
    if (!pc) throw forbidden('pods', '', name, `no PriorityClass with name ${className} was found`);
    priority = Number(pc.value ?? 0);
    policy = pc.preemptionPolicy;
  }
  if (isSet(spec.priority) && spec.priority !== priority) {
    throw forbidden('pods', '', name, `the integer value of priority (${String(spec.priority)}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (isSet(policy)) {
    if (isSet(spec.preemptionPolicy) && spec.preemptionPolicy !== policy) {
      throw forbidden('pods', '', name, `the string value of PreemptionPolicy (${String(spec.preemptionPolicy)}) must not be provided in pod spec; priority admission controller computed ${String(policy)} from the given PriorityClass name`);
    }
    spec.preemptionPolicy = policy;
  }
}

/** admitPod on update: what the update leaves out stays as admission set it at creation. */
export function preservePodPriority(pod: KubeObject, old: KubeObject): void {
  const spec = specOf(pod);
  const prev = specOf(old);
  if (!spec || !prev) return;
  if (!isSet(spec.priority) && isSet(prev.priority)) spec.priority = prev.priority;
  if (!isSet(spec.preemptionPolicy) && isSet(prev.preemptionPolicy)) spec.preemptionPolicy = prev.preemptionPolicy;
}

/** validatePriorityClass: at most one globalDefault class (another one marked default is Forbidden). */
export function checkPriorityClassDefault(pc: KubeObject, classes: readonly KubeObject[]): void {
  if (pc.globalDefault !== true) return;
  const name = pc.metadata?.name ?? '';
  const current = defaultPriorityClass(classes);
  if (current && current.metadata?.name !== name) {
    throw forbidden('priorityclasses', 'scheduling.k8s.io', name, `PriorityClass ${current.metadata?.name} is already marked as default. Only one default can exist`);
  }
}
