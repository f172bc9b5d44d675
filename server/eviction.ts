// The pods/eviction subresource (upstream's EvictionREST): POST a policy/v1 (or v1beta1)
// Eviction and the pod is deleted (with the Eviction's deleteOptions) unless a
// PodDisruptionBudget forbids it: then 429 TooManyRequests, which `kubectl drain` retries. A
// pod that is finished, pending or already being deleted is deleted without looking at
// budgets; otherwise the one budget selecting the pod must allow a disruption, which the
// eviction takes (disruptionsAllowed - 1, the pod in disruptedPods) before deleting. The pod
// gets the DisruptionTarget condition first. The answer is a Success Status (201).
import type { Request, Response } from 'express';
import { ApiError, apiErrors, type Status } from '../api/errors.ts';
import type { KubeObject, ResourceDescriptor } from '../api/registry/descriptor.ts';
import type { DeleteOptions } from '../api/storage/registry-store.ts';
import { labelSelectorFromObject, matchesLabels, type MetaLabelSelector } from '../api/selectors/labels.ts';
import { methodNotAllowed, sendObject } from './respond.ts';
import { decodeObject, outputFor, writeOptions, type Query, type ResourceRequest, type RestContext, type SubresourceHandler } from './rest.ts';

type J = Record<string, any>;

/** Upstream's MaxDisruptedPodSize. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
const CANNOT_EVICT = "Cannot evict pod as it would violate the pod's disruption budget.";

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function tooManyRequests(message: string, retryAfterSeconds: number, cause: string): ApiError {
  const details: J = { causes: [{ reason: 'DisruptionBudget', message: cause }] };
  if (retryAfterSeconds > 0) details.retryAfterSeconds = retryAfterSeconds;
  return new ApiError(429, 'TooManyRequests', message, details);
}

function isReady(pod: KubeObject): boolean {
  return ((pod.status as J | undefined)?.conditions ?? []).some((c: J) => c.type === 'Ready' && c.status === 'True');
}

/** canIgnorePDB: finished, pending or terminating pods are deleted without budgets. */
function canIgnorePDB(pod: KubeObject): boolean {
  const phase = (pod.status as J | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

function shouldEnforceResourceVersion(pod: KubeObject): boolean {
  const phase = (pod.status as J | undefined)?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp);
}

/** The Eviction's deleteOptions as the store takes them. */
function deleteOptionsOf(eviction: KubeObject, dryRun: boolean, user: string): DeleteOptions & { dryRun: boolean } {
  const d: J = eviction.deleteOptions && typeof eviction.deleteOptions === 'object' ? (eviction.deleteOptions as J) : {};
  const opts: DeleteOptions & { dryRun: boolean } = { dryRun: dryRun || (Array.isArray(d.dryRun) && d.dryRun.includes('All')), user };
  if (typeof d.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = d.gracePeriodSeconds;
  if (d.preconditions && typeof d.preconditions === 'object') opts.preconditions = { ...d.preconditions };
  if (typeof d.propagationPolicy === 'string') opts.propagationPolicy = d.propagationPolicy as DeleteOptions['propagationPolicy'];
  return opts;
}

/** addConditionAndDeletePod: DisruptionTarget=True on the latest pod, then the delete. */
async function addConditionAndDelete(ctx: RestContext, pods: ResourceDescriptor, namespace: string, name: string, opts: DeleteOptions & { dryRun: boolean }): Promise<void> {
  let options = opts;
  if (!opts.dryRun) {
    const { object } = await ctx.storage.updateWith(
      pods,
      namespace,
      name,
      (cur) => {
        if (!cur) throw apiErrors.notFound('pods', '', name);
        const pre = opts.preconditions ?? {};
        if (pre.uid && pre.uid !== cur.metadata?.uid) {
          throw apiErrors.conflict('Pod', '', name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${cur.metadata?.uid}). The object might have been deleted and then recreated`);
        }
        if (pre.resourceVersion && pre.resourceVersion !== cur.metadata?.resourceVersion) {
          throw apiErrors.conflict(
            'Pod',
            '',
            name,
            `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${cur.metadata?.resourceVersion}). The object might have been modified`,
          );
        }
        const status: J = { ...((cur.status as J) ?? {}) };
        const conditions: J[] = Array.isArray(status.conditions) ? [...status.conditions] : [];
        const cond: J = { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(new Date()), reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
        const i = conditions.findIndex((c) => c.type === 'DisruptionTarget');
        if (i < 0) conditions.push(cond);
        else {
          if (conditions[i]!.status === 'True' && conditions[i]!.lastTransitionTime) cond.lastTransitionTime = conditions[i]!.lastTransitionTime;
          conditions[i] = cond;
        }
        status.conditions = conditions;
        return { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined }, status };
      },
      { subresource: 'status', user: opts.user },
    );
    if (opts.preconditions?.resourceVersion) options = { ...opts, preconditions: { ...opts.preconditions, resourceVersion: object.metadata?.resourceVersion } };
  }
  await ctx.storage.delete(pods, namespace, name, options);
}

/** checkAndDecrement: the budget must allow a disruption; the eviction takes one. */
async function checkAndDecrement(ctx: RestContext, pdbs: ResourceDescriptor, namespace: string, podName: string, pdbName: string, dryRun: boolean): Promise<void> {
  const decide = (pdb: KubeObject): KubeObject => {
    const st: J = { ...((pdb.status as J) ?? {}) };
    const generation = pdb.metadata?.generation ?? 0;
    if ((st.observedGeneration ?? 0) < generation) throw tooManyRequests(CANNOT_EVICT, 10, `The disruption budget ${pdbName} is still being processed by the server.`);
    const allowed = Number(st.disruptionsAllowed ?? 0);
    if (allowed < 0) throw apiErrors.forbidden(`poddisruptionbudgets.policy "${pdbName}" is forbidden: pdb disruptions allowed is negative`);
    if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
      throw apiErrors.forbidden(`poddisruptionbudgets.policy "${pdbName}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`);
    }
    if (allowed === 0) throw tooManyRequests(CANNOT_EVICT, 0, `The disruption budget ${pdbName} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
    st.disruptionsAllowed = allowed - 1;
    if (st.disruptionsAllowed === 0) {
      const conditions: J[] = Array.isArray(st.conditions) ? [...st.conditions] : [];
      const i = conditions.findIndex((c) => c.type === 'DisruptionAllowed');
      const old = i >= 0 ? conditions[i]! : undefined;
      const cond: J = {
        type: 'DisruptionAllowed',
        status: 'False',
        observedGeneration: st.observedGeneration ?? 0,
        lastTransitionTime: old && old.status === 'False' ? old.lastTransitionTime : rfc3339(new Date()),
        reason: 'InsufficientPods',
        message: '',
      };
      if (i >= 0) conditions[i] = cond;
      else conditions.push(cond);
      st.conditions = conditions;
    }
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: rfc3339(new Date()) };
    return { ...pdb, status: st };
  };
  if (dryRun) {
    decide(await ctx.storage.get(pdbs, namespace, pdbName));
    return;
  }
  await ctx.storage.updateWith(
    pdbs,
    namespace,
    pdbName,
    (cur) => {
      if (!cur) throw apiErrors.notFound('poddisruptionbudgets', 'policy', pdbName);
      const next = decide(cur);
      return { ...next, metadata: { ...next.metadata, resourceVersion: undefined } };
    },
    { subresource: 'status' },
  );
}

async function serveEviction(req: Request, res: Response, r: ResourceRequest, ctx: RestContext): Promise<void> {
  if (req.method !== 'POST') throw methodNotAllowed();
  const opts = writeOptions(req.query as Query, 'POST');
  const pods = ctx.registry.get('', 'v1', 'pods');
  const pdbs = ctx.registry.get('policy', 'v1', 'poddisruptionbudgets');
  if (!pods) throw apiErrors.notFound('pods', '', r.name ?? '');
  const eviction = await decodeObject(req, res, pods, opts.fieldValidation, { apiVersion: 'policy/v1', kind: 'Eviction', model: 'V1Eviction' });
  const name = r.name ?? '';
  if (name !== (eviction.metadata?.name ?? '')) throw apiErrors.badRequest('name in URL does not match name in Eviction object');
  const namespace = r.namespace ?? '';
  const deleteOpts = deleteOptionsOf(eviction, opts.dryRun, r.user);
  const rvUnset = !deleteOpts.preconditions?.resourceVersion;

  // Pods that have disrupted already (or not yet started) go without budgets.
  let pod: KubeObject | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = await ctx.storage.get(pods, namespace, name);
    if (!canIgnorePDB(pod)) break;
    let o = deleteOpts;
    if (shouldEnforceResourceVersion(pod) && rvUnset) o = { ...o, preconditions: { ...(o.preconditions ?? {}), resourceVersion: pod.metadata?.resourceVersion } };
    try {
      await addConditionAndDelete(ctx, pods, namespace, name, o);
      return success(req, res);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'Conflict' && rvUnset && attempt < 20)) throw err;
    }
  }

  let updateDeletionOptions = false;
  if (pdbs) {
    const list = (await ctx.storage.list(pdbs, namespace)).items as KubeObject[];
    const matching = list.filter((pdb) => {
      const sel = (pdb.spec as J | undefined)?.selector as MetaLabelSelector | undefined;
      if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) return false;
      try {
        return matchesLabels(labelSelectorFromObject(sel), pod.metadata?.labels);
      } catch {
        return false;
      }
    });
    if (matching.length > 1) {
      const st: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', reason: '', code: 500 };
      sendObject(req, res, 500, st);
      return;
    }
    const pdb = matching[0];
    if (pdb) {
      const spec: J = (pdb.spec as J) ?? {};
      const st: J = (pdb.status as J) ?? {};
      let skip = false;
      if (!isReady(pod)) {
        if (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow') skip = true;
        else if ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0) skip = true;
      }
      if (skip) updateDeletionOptions = true;
      else {
        for (let attempt = 0; ; attempt++) {
          try {
            await checkAndDecrement(ctx, pdbs, namespace, name, pdb.metadata?.name ?? '', deleteOpts.dryRun);
            break;
          } catch (err) {
            if (!(err instanceof ApiError && err.reason === 'Conflict') || attempt >= 20) throw err;
          }
        }
      }
    }
  }
  let o = deleteOpts;
  if (updateDeletionOptions) o = { ...o, preconditions: { ...(o.preconditions ?? {}), resourceVersion: pod.metadata?.resourceVersion } };
  try {
    await addConditionAndDelete(ctx, pods, namespace, name, o);
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'Conflict' && updateDeletionOptions && rvUnset) {
      throw tooManyRequests(CANNOT_EVICT, 10, 'The disruption budget is still being processed by the server.');
    }
    throw err;
  }
  success(req, res);
}

function success(req: Request, res: Response): void {
  const output = outputFor(req);
  sendObject(req, res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, output.kind === 'yaml' || output.kind === 'protobuf' ? output : { kind: 'json', pretty: output.pretty });
}

/** `pods/eviction`, for the app's subresources map. */
export function evictionHandlers(): Map<string, SubresourceHandler> {
  return new Map<string, SubresourceHandler>([['pods/eviction', serveEviction]]);
}
