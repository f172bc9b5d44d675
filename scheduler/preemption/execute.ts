// Carrying out a preemption through the API (upstream's prepareCandidate and PreemptPod): each
// victim gets the DisruptionTarget condition (reason PreemptionByScheduler), is deleted
// gracefully, and gets a `Preempted` event naming the preemptor; pods of lower priority
// nominated to the same node lose their nomination, since the room they counted on is taken.
import { resourcePath, type ApiClient, type ResourceRef } from '../../controllers/runtime/client.ts';
import { errorMessage, isNotFound } from '../../controllers/runtime/errors.ts';
import { rfc3339 } from '../../controllers/runtime/types.ts';
import { logger } from '../../lib/logger.ts';
import type { EventRecorder } from '../events.ts';
import { DEFAULT_SCHEDULER_NAME, type Pod, type PodCondition } from '../types.ts';
import { DISRUPTION_TARGET, PREEMPTION_BY_SCHEDULER } from './default-preemption.ts';

const log = logger.child({ component: 'preemption' });
const STRATEGIC = 'application/strategic-merge-patch+json';

export interface PreemptionDeps {
  client: ApiClient;
  recorder: EventRecorder;
  /** The pods resource. */
  pods: ResourceRef;
}

/** Patches the pod's status (strategic merge, guarded by its uid); false when the pod is gone. */
async function patchStatus(d: PreemptionDeps, pod: Pod, status: Record<string, unknown>): Promise<boolean> {
  try {
    const m = pod.metadata ?? {};
    await d.client.request('PATCH', resourcePath(d.pods, m.namespace, m.name ?? '', 'status'), { body: { metadata: { uid: pod.metadata?.uid }, status }, contentType: STRATEGIC });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function preemptVictim(d: PreemptionDeps, preemptor: Pod, node: string, victim: Pod): Promise<void> {
  const m = victim.metadata ?? {};
  const already = (victim.status?.conditions ?? []).find((c) => c.type === DISRUPTION_TARGET);
  if (already?.status !== 'True' || already.reason !== PREEMPTION_BY_SCHEDULER) {
    const cond: PodCondition = {
      type: DISRUPTION_TARGET,
      status: 'True',
      reason: PREEMPTION_BY_SCHEDULER,
      message: `${preemptor.spec?.schedulerName || DEFAULT_SCHEDULER_NAME}: preempting to accommodate a higher priority pod`,
      lastTransitionTime: rfc3339(new Date()),
    };
    if (!(await patchStatus(d, victim, { conditions: [cond] }))) return;
  }
  try {
    await d.client.delete(d.pods, m.namespace, m.name ?? '', { preconditions: { uid: m.uid } });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  d.recorder.event(victim, 'Normal', 'Preempted', 'Preempting', `Preempted by pod ${preemptor.metadata?.uid} on node ${node}`, preemptor);
}

/** Preempts the victims on `node` for `preemptor` and clears the nominations of `displaced`. */
export async function executePreemption(d: PreemptionDeps, preemptor: Pod, node: string, victims: readonly Pod[], displaced: readonly Pod[]): Promise<void> {
  const pod = `${preemptor.metadata?.namespace}/${preemptor.metadata?.name}`;
  // Victims already terminating need nothing more.
  const todo = victims.filter((v) => !v.metadata?.deletionTimestamp);
  const results = await Promise.allSettled([
    ...todo.map((v) => preemptVictim(d, preemptor, node, v)),
    ...displaced.filter((p) => p.status?.nominatedNodeName).map((p) => patchStatus(d, p, { nominatedNodeName: null })),
  ]);
  for (const r of results) if (r.status === 'rejected') log.info({ pod, node, err: errorMessage(r.reason) }, 'preemption step failed');
  log.debug({ pod, node, victims: todo.map((v) => v.metadata?.name) }, 'preempted');
}
