// The pod a Job creates (upstream manageJob's template handling): the pod template with the
// Job as controller and the tracking finalizer; for Indexed Jobs also the completion index as
// annotation and label, JOB_COMPLETION_INDEX in every container's environment (from that
// label), the hostname `<job>-<index>` and the generateName `<job>-<index>-`.
import { newControllerRef } from '../runtime/controller-ref.ts';
import { podFromTemplate, type Pod } from '../runtime/pods.ts';
import { COMPLETION_INDEX_ANNOTATION, UNKNOWN_INDEX, podGenerateNameWithIndex } from './indexes.ts';
import { JOB_API_VERSION, JOB_TRACKING_FINALIZER, type Job } from './job.ts';

export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

type Container = { env?: { name: string; [k: string]: unknown }[]; [k: string]: unknown };

function addIndexEnv(containers: unknown): void {
  if (!Array.isArray(containers)) return;
  for (const c of containers as Container[]) {
    const env = (c.env ??= []);
    if (env.some((e) => e.name === COMPLETION_INDEX_ENV)) continue;
    env.push({ name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_ANNOTATION}']` } } });
  }
}

/** The pod to create for the Job (index UNKNOWN_INDEX for NonIndexed Jobs). */
export function jobPod(job: Job, index: number = UNKNOWN_INDEX): Pod {
  const name = job.metadata?.name ?? '';
  const pod = podFromTemplate(job.spec?.template, name, newControllerRef(job, JOB_API_VERSION, 'Job'));
  const m = pod.metadata!;
  if (!(m.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) m.finalizers = [...(m.finalizers ?? []), JOB_TRACKING_FINALIZER];
  if (index === UNKNOWN_INDEX) return pod;
  const spec = pod.spec as Record<string, unknown>;
  addIndexEnv(spec.initContainers);
  addIndexEnv(spec.containers);
  m.annotations = { ...(m.annotations ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(index) };
  m.labels = { ...(m.labels ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(index) };
  spec.hostname = `${name}-${index}`;
  m.generateName = podGenerateNameWithIndex(name, index);
  return pod;
}
