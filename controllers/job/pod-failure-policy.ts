// spec.podFailurePolicy (upstream pod_failure_policy.go): the first rule matching a failed pod
// decides whether the pod counts against backoffLimit (Count, the default; Ignore does not) or
// fails the whole Job at once (FailJob). FailIndex needs backoffLimitPerIndex, which this
// controller does not implement: such rules are skipped, as upstream does with that gate off.
import type { Pod } from '../runtime/pods.ts';
import type { Job } from './job.ts';

/** The Job condition reason when a FailJob rule matched. */
export const REASON_POD_FAILURE_POLICY = 'PodFailurePolicy';

interface OnExitCodes {
  containerName?: string;
  operator?: string;
  values?: number[];
}

interface OnPodCondition {
  type?: string;
  status?: string;
}

interface Rule {
  action?: string;
  onExitCodes?: OnExitCodes;
  onPodConditions?: OnPodCondition[];
}

interface ContainerStatus {
  name?: string;
  state?: { terminated?: { exitCode?: number } };
}

export interface PolicyMatch {
  /** Counts against backoffLimit (false for an Ignore rule). */
  countFailed: boolean;
  /** Set when a FailJob rule matched: the Job's failure message. */
  failJobMessage?: string;
}

function rules(job: Job): Rule[] {
  const p = job.spec?.podFailurePolicy as { rules?: unknown } | undefined | null;
  return Array.isArray(p?.rules) ? (p.rules as Rule[]) : [];
}

function exitCodeMatches(code: number, req: OnExitCodes): boolean {
  const values = req.values ?? [];
  if (req.operator === 'In') return values.includes(code);
  if (req.operator === 'NotIn') return !values.includes(code);
  return false;
}

/** Containers first, then init containers: the first terminated with a non-zero matching exit code. */
function matchOnExitCodes(pod: Pod, req: OnExitCodes): { name: string; exitCode: number } | undefined {
  const status = pod.status as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] } | undefined;
  for (const list of [status?.containerStatuses ?? [], status?.initContainerStatuses ?? []]) {
    for (const cs of list) {
      const code = cs.state?.terminated?.exitCode;
      if (code === undefined || code === 0) continue;
      if (req.containerName !== undefined && req.containerName !== null && req.containerName !== cs.name) continue;
      if (exitCodeMatches(code, req)) return { name: cs.name ?? '', exitCode: code };
    }
  }
  return undefined;
}

function matchOnPodConditions(pod: Pod, patterns: OnPodCondition[]): string | undefined {
  for (const c of pod.status?.conditions ?? []) {
    if (patterns.some((p) => p.type === c.type && p.status === c.status)) return c.type;
  }
  return undefined;
}

/** Upstream matchPodFailurePolicy, for a pod the controller considers failed. */
export function matchPodFailurePolicy(job: Job, pod: Pod): PolicyMatch {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (const [index, rule] of rules(job).entries()) {
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const c = matchOnExitCodes(pod, rule.onExitCodes);
      if (!c) continue;
      failJobMessage = `Container ${c.name} for pod ${ns}/${name} failed with exit code ${c.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const type = matchOnPodConditions(pod, rule.onPodConditions);
      if (!type) continue;
      failJobMessage = `Pod ${ns}/${name} has condition ${type} matching ${rule.action} rule at index ${index}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false };
      case 'Count':
        return { countFailed: true };
      case 'FailJob':
        return { countFailed: true, failJobMessage };
      default:
        continue; // FailIndex (no backoffLimitPerIndex here) and unknown actions: the next rule decides.
    }
  }
  return { countFailed: true };
}

/** Whether a failed pod counts against backoffLimit. */
export function countsAsFailed(job: Job, pod: Pod): boolean {
  return matchPodFailurePolicy(job, pod).countFailed;
}

/** Upstream getFailJobMessage: the message of the first failed pod that a FailJob rule matches. */
export function failJobMessage(job: Job, failedPods: readonly Pod[]): string | undefined {
  if (rules(job).length === 0) return undefined;
  for (const p of failedPods) {
    const m = matchPodFailurePolicy(job, p).failJobMessage;
    if (m) return m;
  }
  return undefined;
}
