// The delay before a Job replaces failed pods (upstream backoff_utils.go): 10 s after the
// first failure since the last success, doubling up to 10 minutes. The record is kept in
// memory per Job and moved forward with the pods that finished since the last sync.
import { parseTime, podReadyCondition, type Pod } from '../runtime/pods.ts';

export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** ms since the epoch; undefined without failures. */
  lastFailureTime?: number;
}

export const NO_BACKOFF: BackoffRecord = { failuresAfterLastSuccess: 0 };

interface TerminatedState {
  terminated?: { finishedAt?: string };
}

/**
 * When the pod finished: the latest container finish (all containers terminated), else when
 * Ready turned False, else its deletion time less the grace period, else its creation.
 */
export function finishedTime(pod: Pod): number {
  const statuses = (pod.status?.containerStatuses ?? []) as { state?: TerminatedState }[];
  let fromContainers: number | undefined;
  for (const cs of statuses) {
    const t = parseTime(cs.state?.terminated?.finishedAt);
    if (!cs.state?.terminated || t === 0) {
      fromContainers = undefined;
      break;
    }
    fromContainers = Math.max(fromContainers ?? 0, t);
  }
  if (fromContainers !== undefined) return fromContainers;
  const ready = podReadyCondition(pod);
  if (ready?.status === 'False' && parseTime(ready.lastTransitionTime)) return parseTime(ready.lastTransitionTime);
  const deleted = parseTime(pod.metadata?.deletionTimestamp);
  if (deleted) return deleted - (pod.metadata?.deletionGracePeriodSeconds ?? 0) * 1000;
  return parseTime(pod.metadata?.creationTimestamp);
}

/** The record after newly counted pods: a success resets it, failures after the last success count. */
export function newBackoffRecord(prev: BackoffRecord, newSucceeded: readonly Pod[], newFailed: readonly Pod[]): BackoffRecord {
  const failedTimes = newFailed.map(finishedTime).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return prev;
    return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1] };
  }
  const lastSuccess = Math.max(...newSucceeded.map(finishedTime));
  const after = failedTimes.filter((t) => t > lastSuccess);
  return after.length ? { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1] } : NO_BACKOFF;
}

/** How long pod creation must still wait at `now` (0 when it may go ahead). */
export function remainingBackoffMs(record: BackoffRecord, now: number, baseMs = DEFAULT_POD_FAILURE_BACKOFF_MS, maxMs = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let delay = baseMs;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    delay *= 2;
    if (delay >= maxMs) {
      delay = maxMs;
      break;
    }
  }
  const elapsed = now - record.lastFailureTime;
  return delay < elapsed ? 0 : delay - elapsed;
}
