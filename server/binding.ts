// The pods/binding subresource and the legacy `bindings` resource (upstream's BindingREST and
// LegacyBindingREST): POST a v1 Binding {metadata.name, target: {kind: Node, name}} and the
// pod gets spec.nodeName, the binding's annotations and the PodScheduled=True condition, in
// one guarded update. The answer is a Success Status with code 201.
import type { Request, Response } from 'express';
import { apiErrors, type ApiError } from '../api/errors.ts';
import type { KubeObject, ResourceDescriptor } from '../api/registry/descriptor.ts';
import { bindings as bindingsDescriptor, validateBinding } from '../api/resources/core/bindings.ts';
import { sendObject, methodNotAllowed } from './respond.ts';
import { decodeObject, outputFor, writeOptions, type Query, type ResourceRequest, type RestContext, type SubresourceHandler } from './rest.ts';

const BINDING = { apiVersion: 'v1', kind: 'Binding', model: 'V1Binding' };

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Upstream's podutil.UpdatePodCondition for PodScheduled=True (the transition time kept when the status does not change). */
function setScheduled(status: Record<string, unknown>, now: Date): void {
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
  const cond: Record<string, unknown> = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(now) };
  const i = conditions.findIndex((c) => c && c.type === 'PodScheduled');
  if (i < 0) conditions.push(cond);
  else {
    if (conditions[i]!.status === 'True' && conditions[i]!.lastTransitionTime) cond.lastTransitionTime = conditions[i]!.lastTransitionTime;
    conditions[i] = cond;
  }
  status.conditions = conditions;
}

/** The binding's own failures: a Conflict on `pods/binding` (upstream wraps non-Status errors so). */
function bindConflict(name: string, why: string): ApiError {
  return apiErrors.conflict('pods/binding', '', name, why);
}

/**
 * Binds pod `name` in `namespace` as the Binding says. Preconditions (uid, resourceVersion) of
 * the binding's metadata guard the pod, as upstream's assignPod.
 */
export async function bindPod(ctx: RestContext, pods: ResourceDescriptor, namespace: string, name: string, binding: KubeObject, opts: { dryRun: boolean; user: string }): Promise<void> {
  const meta = binding.metadata ?? {};
  const target = (binding.target ?? {}) as { name?: string };
  const nodeName = String(target.name ?? '');
  const annotations = meta.annotations && typeof meta.annotations === 'object' ? meta.annotations : {};
  await ctx.storage.updateWith(
    pods,
    namespace,
    name,
    (current) => {
      if (!current) throw apiErrors.notFound('pods', '', name);
      const cur = current.metadata ?? {};
      if (meta.uid && meta.uid !== cur.uid) {
        throw apiErrors.conflict('pods', '', name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${cur.uid ?? ''}`);
      }
      if (meta.resourceVersion && meta.resourceVersion !== cur.resourceVersion) {
        throw apiErrors.conflict('pods', '', name, `Precondition failed: ResourceVersion in precondition: ${meta.resourceVersion}, ResourceVersion in object meta: ${cur.resourceVersion ?? ''}`);
      }
      const spec = (current.spec ?? {}) as Record<string, unknown>;
      if (cur.deletionTimestamp) throw bindConflict(name, `pod ${name} is being deleted, cannot be assigned to a host`);
      if (typeof spec.nodeName === 'string' && spec.nodeName !== '') throw bindConflict(name, `pod ${name} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
      if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) throw bindConflict(name, `pod ${name} has non-empty .spec.schedulingGates`);
      const next: KubeObject = { ...current, spec: { ...spec, nodeName } };
      next.metadata = { ...cur, resourceVersion: undefined };
      if (Object.keys(annotations).length > 0) next.metadata.annotations = { ...(cur.annotations ?? {}), ...annotations };
      const status = { ...((current.status ?? {}) as Record<string, unknown>) };
      setScheduled(status, new Date());
      next.status = status;
      return next;
    },
    { dryRun: opts.dryRun, user: opts.user, subresource: 'binding', rawUpdate: true, pureBuild: true },
  );
}

function namespaceOf(binding: KubeObject, r: ResourceRequest): string {
  const ns = binding.metadata?.namespace;
  if (ns && r.namespace && ns !== r.namespace) throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  return r.namespace ?? ns ?? '';
}

async function serveBinding(req: Request, res: Response, r: ResourceRequest, ctx: RestContext, name: string | undefined): Promise<void> {
  if (req.method !== 'POST') throw methodNotAllowed();
  const opts = writeOptions(req.query as Query, 'POST');
  const binding = await decodeObject(req, res, bindingsDescriptor, opts.fieldValidation, BINDING);
  const namespace = namespaceOf(binding, r);
  // The legacy resource names the pod in the body.
  const podName = name ?? binding.metadata?.name ?? '';
  if (!podName) throw apiErrors.badRequest('Name parameter required.');
  if (podName !== (binding.metadata?.name ?? '')) throw apiErrors.badRequest('name in URL does not match name in Binding object');
  const errs = validateBinding(binding);
  // (Upstream answers its ValidatePodBinding errors as an unexplained 500; a 422 says what is wrong.)
  if (errs.length) throw apiErrors.invalid('Binding', '', podName, errs);
  const pods = ctx.registry.get('', 'v1', 'pods');
  if (!pods) throw apiErrors.notFound('pods', '', podName);
  await bindPod(ctx, pods, namespace, podName, binding, { dryRun: opts.dryRun, user: r.user });
  const output = outputFor(req);
  sendObject(req, res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, output.kind === 'yaml' || output.kind === 'protobuf' ? output : { kind: 'json', pretty: output.pretty });
}

/** `pods/binding` and the legacy `bindings`, for the app's subresources map. */
export function bindingHandlers(): Map<string, SubresourceHandler> {
  return new Map<string, SubresourceHandler>([
    ['pods/binding', (req, res, r, ctx) => serveBinding(req, res, r, ctx, r.name)],
    ['bindings', (req, res, r, ctx) => serveBinding(req, res, r, ctx, undefined)],
  ]);
}
