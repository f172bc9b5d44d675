// The REST endpoints of every resource: list/watch, get, create, update, patch, delete,
// deletecollection, and the status and scale subresources. HTTP only: decoding, options,
// content negotiation and streaming; the object semantics are api/storage's.
import type { Request, Response } from 'express';
import { ApiError, apiErrors, type FieldError } from '../api/errors.ts';
import { apiVersionOf, type KubeObject, type ResourceDescriptor, type Verb } from '../api/registry/descriptor.ts';
import type { Registry } from '../api/registry/registry.ts';
import type { DeleteOptions, Predicate, RegistryStore, WatchEventOut } from '../api/storage/registry-store.ts';
import { getScale, updateScale } from '../api/storage/scale.ts';
import { fieldErrors } from '../api/validation/field-errors.ts';
import { isEverything, matchesLabels, parseLabelSelectorOrBadRequest } from '../api/selectors/labels.ts';
import { matchesFields, parseFieldSelectorOrBadRequest, supportedFieldPaths } from '../api/selectors/fields.ts';
import { decodeBody, decodeProtobufBody, strictJsonProblems, structuralTypeError, unknownFields } from './decode.ts';
import { hasModel } from '../api/openapi/models.ts';
import { parseIncludeObject, partialObjectMetadata, partialObjectMetadataList, toTable, type IncludeObject, type ListMeta } from '../api/table.ts';
import { addWarnings, chooseOutput, methodNotAllowed, sendObject, type Output } from './respond.ts';
import { requestFormat, type RequestFormat } from '../api/content-negotiation.ts';
import { logger } from '../lib/logger.ts';
import { applyConfiguration } from '../api/apply/managed-fields.ts';
import { managerOrUserAgent, validateFieldManager } from '../api/apply/manager-name.ts';

const log = logger.child({ component: 'rest' });

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** A resolved resource request. */
export interface ResourceRequest {
  d: ResourceDescriptor;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Path segments after the subresource (e.g. pods/x/proxy/<path>). */
  rest: string[];
  user: string;
  /** Reached through a deprecated /watch/ path. */
  watch?: boolean;
}

/** Serves one subresource of one resource (binding, eviction, log, exec, ...). */
export type SubresourceHandler = (req: Request, res: Response, r: ResourceRequest, ctx: RestContext) => Promise<void>;

/** Hooks for the patch engines that live in api/. */
export interface RestExtensions {
  /** Applies a patch body (already decoded for JSON types) of a content type to an object. */
  applyPatch?: (contentType: string, current: KubeObject, patch: unknown, d: ResourceDescriptor) => KubeObject;
}

export interface RestContext {
  registry: Registry;
  storage: RegistryStore;
  extensions: RestExtensions;
  subresources: Map<string, SubresourceHandler>;
  /** Longest watch when the client sets no timeoutSeconds: a random duration in [min, 2*min). */
  minRequestTimeoutSeconds: number;
}

// --- query parameters -----------------------------------------------------------------

export type Query = Record<string, unknown>;

export function param(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) return v.length ? String(v[0]) : undefined;
  return v === undefined ? undefined : String(v);
}

export function boolParam(q: Query, name: string): boolean | undefined {
  const v = param(q, name);
  if (v === undefined) return undefined;
  if (v === '' || v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't') return true;
  if (v === 'false' || v === '0' || v === 'False' || v === 'FALSE' || v === 'f') return false;
  throw apiErrors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

export function intParam(q: Query, name: string): number | undefined {
  const v = param(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw apiErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  // int64 as upstream parses it; beyond what a double holds exactly is out of range here.
  if (!Number.isSafeInteger(Number(v))) throw apiErrors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return Number(v);
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function optionsKind(method: string): string {
  return method === 'POST' ? 'CreateOptions' : method === 'PATCH' ? 'PatchOptions' : method === 'DELETE' ? 'DeleteOptions' : 'UpdateOptions';
}

const APPLY_PATCH = 'application/apply-patch+yaml';

export interface WriteParams {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  /** The fieldManager parameter ('' when unset). */
  fieldManager: string;
  /** PATCH only: the force parameter. */
  force: boolean;
}

/**
 * Create/Update/PatchOptions from the query, validated as upstream (ValidatePatchOptions:
 * `force` only for apply, `fieldManager` required for apply, at most 128 printable characters).
 */
export function writeOptions(q: Query, method: string, patchType?: string): WriteParams {
  const errs: FieldError[] = [];
  const fieldManager = param(q, 'fieldManager') ?? '';
  const force = method === 'PATCH' ? boolParam(q, 'force') : undefined;
  if (method === 'PATCH') {
    if (patchType !== APPLY_PATCH) {
      if (q.force !== undefined) errs.push(fieldErrors.forbidden('force', 'may not be specified for non-apply patch'));
    } else if (!fieldManager) errs.push(fieldErrors.required('fieldManager', 'is required for apply patch'));
  }
  errs.push(...validateFieldManager(fieldManager));
  const dry = q.dryRun;
  const dryValues = dry === undefined ? [] : (Array.isArray(dry) ? dry : [dry]).map(String);
  if (dryValues.some((v) => v !== 'All')) errs.push(fieldErrors.notSupported('dryRun', dryValues, ['All']));
  const fv = param(q, 'fieldValidation') ?? '';
  if (fv && !['Strict', 'Warn', 'Ignore'].includes(fv)) {
    errs.push(fieldErrors.notSupported('fieldValidation', fv, ['Ignore', 'Strict', 'Warn']));
  }
  if (errs.length) throw apiErrors.invalid(optionsKind(method), 'meta.k8s.io', '', errs);
  return { dryRun: dryValues.includes('All'), fieldValidation: (fv || 'Warn') as FieldValidation, fieldManager, force: force ?? false };
}

/** The manager an Update is recorded for: the fieldManager parameter or the User-Agent's program. */
function updateManager(req: Request, opts: WriteParams): string {
  return managerOrUserAgent(opts.fieldManager, req.headers['user-agent']);
}

// --- bodies ---------------------------------------------------------------------------

export async function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw apiErrors.tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (tooLarge) continue;
    size += chunk.length;
    if (size > limit) {
      tooLarge = true;
      chunks.length = 0;
      continue;
    }
    chunks.push(chunk);
  }
  if (tooLarge) throw apiErrors.tooLarge();
  return Buffer.concat(chunks);
}

export function mediaTypeOf(req: Request): string {
  const ct = req.headers['content-type'];
  return (ct ?? '').split(';')[0]!.trim().toLowerCase();
}

function describeBody(body: Buffer): string {
  const text = body.toString('utf8');
  return text.length > 512 ? `${text.slice(0, 512)} ...` : text;
}

/**
 * Decodes a create/update body into the descriptor's kind: apiVersion/kind defaulted from the
 * endpoint and checked, strict-decoding problems reported per fieldValidation.
 */
export async function decodeObject(
  req: Request,
  res: Response,
  d: ResourceDescriptor,
  fieldValidation: FieldValidation,
  expect: { apiVersion: string; kind: string; model?: string } = { apiVersion: apiVersionOf(d), kind: d.kind, model: d.model },
): Promise<KubeObject> {
  const bodyFormat = requestFormat(req.headers['content-type'], 'write');
  const mediaType = bodyFormat === 'yaml' ? 'application/yaml' : 'application/json';
  const body = await readBody(req);
  if (body.length === 0) throw apiErrors.badRequest('the body of the request was empty');
  const decoded = bodyFormat === 'protobuf' ? decodeProtobufBody(body, expect) : decodeBody(body, mediaType);
  const value = decoded.value;
  const version = expect.apiVersion.includes('/') ? expect.apiVersion.split('/')[1]! : expect.apiVersion;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw apiErrors.badRequest(`Object 'Kind' is missing in '${describeBody(body)}'`);
  }
  const obj = value as KubeObject;
  if (obj.apiVersion !== undefined && typeof obj.apiVersion !== 'string') throw apiErrors.badRequest(`${expect.kind} in version "${version}" cannot be handled as a ${expect.kind}: apiVersion must be a string`);
  if (obj.kind !== undefined && typeof obj.kind !== 'string') throw apiErrors.badRequest(`${expect.kind} in version "${version}" cannot be handled as a ${expect.kind}: kind must be a string`);
  if (obj.apiVersion && obj.apiVersion !== expect.apiVersion) {
    throw apiErrors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expect.apiVersion})`);
  }
  if (obj.kind && obj.kind !== expect.kind) {
    const gvVersion = (obj.apiVersion ?? expect.apiVersion).split('/').pop();
    throw apiErrors.badRequest(`${obj.kind} in version "${gvVersion}" cannot be handled as a ${expect.kind}: the kind of the object (${obj.kind}) does not match the kind of the endpoint (${expect.kind})`);
  }
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
    if (obj.metadata === null) delete obj.metadata;
    else throw apiErrors.badRequest(`${expect.kind} in version "${version}" cannot be handled as a ${expect.kind}: json: cannot unmarshal ${Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata} into Go struct field ${expect.kind}.metadata of type v1.ObjectMeta`);
  }
  const model = expect.model && hasModel(expect.model) ? expect.model : undefined;
  const typeError = model ? structuralTypeError(obj, model, expect.kind) : undefined;
  if (typeError) throw apiErrors.badRequest(`${expect.kind} in version "${version}" cannot be handled as a ${expect.kind}: ${typeError}`);
  const unknown = model ? unknownFields(obj, model, decoded.format !== 'json', true) : [];
  // Protobuf has no unknown fields to report: numbers the schema does not know are skipped.
  if (fieldValidation !== 'Ignore' && decoded.format !== 'protobuf') {
    const problems: string[] = [];
    if (decoded.yamlError) problems.push(decoded.yamlError);
    if (decoded.format === 'json') problems.push(...strictJsonProblems(decoded, unknown));
    else problems.push(...unknown.map((p) => `unknown field "${p}"`));
    reportStrict(res, problems, fieldValidation, `${expect.kind} in version "${version}" cannot be handled as a ${expect.kind}: `);
  }
  return obj;
}

function reportStrict(res: Response, problems: string[], fieldValidation: FieldValidation, prefix: string): void {
  if (problems.length === 0 || fieldValidation === 'Ignore') return;
  if (fieldValidation === 'Strict') throw apiErrors.badRequest(`${prefix}strict decoding error: ${problems.join(', ')}`);
  // Warn: a YAML duplicate-key error becomes one warning per line, as upstream splits it.
  const warnings: string[] = [];
  for (const p of problems) {
    if (p.startsWith('yaml: unmarshal errors:\n')) warnings.push(...p.split('\n').slice(1).map((l) => l.trim()));
    else warnings.push(p);
  }
  addWarnings(res, warnings);
}

// --- selection ------------------------------------------------------------------------

function fieldValue(d: ResourceDescriptor, obj: KubeObject, path: string): string | undefined {
  if (path === 'metadata.name') return obj.metadata?.name ?? '';
  if (path === 'metadata.namespace') return obj.metadata?.namespace ?? '';
  const f = d.fieldSelectors[path];
  return f ? f(obj) : undefined;
}

export function predicateFor(d: ResourceDescriptor, labelSelector?: string, fieldSelector?: string): Predicate | undefined {
  const ls = labelSelector ? parseLabelSelectorOrBadRequest(labelSelector) : undefined;
  const fs = fieldSelector ? parseFieldSelectorOrBadRequest(fieldSelector, supportedFieldPaths(d.fieldSelectors)) : undefined;
  const labelsAll = !ls || isEverything(ls);
  const fieldsAll = !fs || fs.requirements.length === 0;
  if (labelsAll && fieldsAll) return undefined;
  return (obj) => (labelsAll || matchesLabels(ls!, obj.metadata?.labels)) && (fieldsAll || matchesFields(fs!, (p) => fieldValue(d, obj, p)));
}

// --- output ---------------------------------------------------------------------------

export function outputFor(req: Request, watch = false): Output {
  // Protobuf for objects of built-in kinds (typed clients ask for it first), never for watches.
  return chooseOutput(req.headers.accept, true, watch, !watch);
}

/** Objects are written as chosen; tables and partial metadata are built before writing. */
function format(output: Output): Output {
  return output.kind === 'yaml' || output.kind === 'protobuf' ? output : { kind: 'json', pretty: output.pretty };
}

function tableOptions(req: Request, output: Output): { includeObject: IncludeObject; version: 'v1' | 'v1beta1' } {
  let includeObject: IncludeObject | undefined;
  try {
    includeObject = parseIncludeObject(param(req.query as Query, 'includeObject'));
  } catch (err) {
    throw apiErrors.badRequest((err as Error).message);
  }
  return { includeObject: includeObject ?? 'Metadata', version: output.metaVersion === 'v1beta1' ? 'v1beta1' : 'v1' };
}

function renderOne(req: Request, d: ResourceDescriptor, obj: KubeObject, output: Output): unknown {
  if (obj.kind !== d.kind) return obj;
  if (output.kind === 'table') return toTable(d, [obj], { ...tableOptions(req, output), listMeta: { resourceVersion: obj.metadata?.resourceVersion } });
  if (output.kind === 'partial') return partialObjectMetadata(obj, output.metaVersion === 'v1beta1' ? 'v1beta1' : 'v1');
  return obj;
}

function renderList(req: Request, d: ResourceDescriptor, list: KubeObject, output: Output): unknown {
  if (output.kind !== 'table' && output.kind !== 'partial') return list;
  const items = (list.items as KubeObject[]).map((i) => ({ apiVersion: list.apiVersion, kind: d.kind, ...i }));
  const listMeta = list.metadata as ListMeta;
  if (output.kind === 'table') return toTable(d, items, { ...tableOptions(req, output), listMeta });
  return partialObjectMetadataList(items, listMeta, output.metaVersion === 'v1beta1' ? 'v1beta1' : 'v1');
}

function send(req: Request, res: Response, code: number, d: ResourceDescriptor, obj: KubeObject, output: Output): void {
  const body = renderOne(req, d, obj, output);
  sendObject(req, res, code, body, format(output));
}

// --- dispatch -------------------------------------------------------------------------

function requireVerb(d: ResourceDescriptor, verb: Verb): void {
  if (!d.verbs.includes(verb)) throw methodNotAllowed();
}

export async function serveResource(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const q = req.query as Query;
  const method = req.method;
  const { d } = r;

  // A resource served entirely by its own handler: the legacy bindings (POST only, nothing
  // stored) under their plural, computed resources of a group (metrics) under <group>/<plural>.
  const whole = r.subresource ? undefined : ctx.subresources.get(d.group ? `${d.group}/${d.plural}` : d.plural);
  if (whole) return whole(req, res, r, ctx);

  if (r.subresource) {
    const custom = ctx.subresources.get(`${d.group}/${d.plural}/${r.subresource}`) ?? ctx.subresources.get(`${d.plural}/${r.subresource}`);
    if (custom && d.subresources[r.subresource]) return custom(req, res, r, ctx);
    if (r.subresource === 'status' && d.subresources.status && r.rest.length === 0) return serveStatus(ctx, req, res, r);
    if (r.subresource === 'scale' && d.subresources.scale && r.rest.length === 0) return serveScale(ctx, req, res, r);
    if (r.subresource === 'finalize' && d.subresources.finalize && r.rest.length === 0) return serveFinalize(ctx, req, res, r);
    throw apiErrors.notFound(d.plural, d.group, r.name!);
  }

  if (r.name === undefined) {
    switch (method) {
      case 'GET':
      case 'HEAD':
        if (r.watch || boolParam(q, 'watch')) {
          requireVerb(d, 'watch');
          return serveWatch(ctx, req, res, r);
        }
        requireVerb(d, 'list');
        return serveList(ctx, req, res, r);
      case 'POST':
        if (d.namespaced && r.namespace === undefined) throw methodNotAllowed();
        requireVerb(d, 'create');
        return serveCreate(ctx, req, res, r);
      case 'DELETE':
        if (d.namespaced && r.namespace === undefined) throw methodNotAllowed();
        requireVerb(d, 'deletecollection');
        return serveDeleteCollection(ctx, req, res, r);
      default:
        throw methodNotAllowed();
    }
  }
  if (d.namespaced && r.namespace === undefined) throw methodNotAllowed();
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (r.watch || boolParam(q, 'watch')) {
        requireVerb(d, 'watch');
        return serveWatch(ctx, req, res, r);
      }
      requireVerb(d, 'get');
      return serveGet(ctx, req, res, r);
    case 'PUT':
      requireVerb(d, 'update');
      return serveUpdate(ctx, req, res, r);
    case 'PATCH':
      requireVerb(d, 'patch');
      return servePatch(ctx, req, res, r);
    case 'DELETE':
      requireVerb(d, 'delete');
      return serveDelete(ctx, req, res, r);
    default:
      throw methodNotAllowed();
  }
}

async function serveGet(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const output = outputFor(req);
  const obj = await ctx.storage.get(r.d, r.namespace, r.name!, { resourceVersion: param(req.query as Query, 'resourceVersion') });
  send(req, res, 200, r.d, obj, output);
}

async function serveList(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const q = req.query as Query;
  const output = outputFor(req);
  const limit = intParam(q, 'limit');
  const list = await ctx.storage.list(r.d, r.namespace, {
    resourceVersion: param(q, 'resourceVersion'),
    resourceVersionMatch: param(q, 'resourceVersionMatch'),
    limit: limit && limit > 0 ? limit : undefined,
    continue: param(q, 'continue') || undefined,
    predicate: predicateFor(r.d, param(q, 'labelSelector'), param(q, 'fieldSelector')),
  });
  sendObject(req, res, 200, renderList(req, r.d, list, output), format(output));
}

async function serveCreate(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const q = req.query as Query;
  const output = outputFor(req);
  const opts = writeOptions(q, 'POST');
  const obj = await decodeObject(req, res, r.d, opts.fieldValidation);
  if (r.d.review) {
    // Review APIs answer about the request and store nothing.
    const user = req.k8tsUser ?? { name: r.user, groups: [] };
    return send(req, res, 201, r.d, r.d.review(obj, user, new Date()), output);
  }
  const created = await ctx.storage.create(r.d, r.namespace, obj, { dryRun: opts.dryRun, user: r.user, fieldManager: updateManager(req, opts) });
  send(req, res, 201, r.d, created, output);
}

async function serveUpdate(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const q = req.query as Query;
  const output = outputFor(req);
  const opts = writeOptions(q, 'PUT');
  const obj = await decodeObject(req, res, r.d, opts.fieldValidation);
  const { object, created } = await ctx.storage.update(r.d, r.namespace, r.name!, obj, { dryRun: opts.dryRun, user: r.user, fieldManager: updateManager(req, opts) });
  send(req, res, created ? 201 : 200, r.d, object, output);
}

const PATCH_CONTENT_TYPES: Partial<Record<RequestFormat, string>> = {
  'json-patch': 'application/json-patch+json',
  'merge-patch': 'application/merge-patch+json',
  'strategic-merge-patch': 'application/strategic-merge-patch+json',
  'apply-patch': 'application/apply-patch+yaml',
};

function patchContentType(req: Request): string {
  return PATCH_CONTENT_TYPES[requestFormat(req.headers['content-type'], 'patch')]!;
}

async function decodePatch(req: Request): Promise<{ contentType: string; patch: unknown; problems: string[]; yamlError?: string }> {
  const contentType = patchContentType(req);
  const body = await readBody(req);
  if (contentType === APPLY_PATCH) return decodeApplyPatch(body);
  const decoded = decodeBody(body, 'application/json');
  if (contentType === 'application/json-patch+json') {
    if (!Array.isArray(decoded.value)) throw apiErrors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  } else if (decoded.value === null || typeof decoded.value !== 'object' || Array.isArray(decoded.value)) {
    throw apiErrors.badRequest(`json: cannot unmarshal ${Array.isArray(decoded.value) ? 'array' : typeof decoded.value} into Go value of type map[string]interface {}`);
  }
  const problems: string[] = [];
  if (contentType !== 'application/json-patch+json') {
    if (decoded.yamlError) problems.push(decoded.yamlError);
    problems.push(...decoded.duplicates.map((x) => `duplicate field "${x.path}"`));
  }
  return { contentType, patch: decoded.value, problems, yamlError: decoded.yamlError };
}

/** An applied configuration: YAML (or JSON) into a map, with upstream's `error decoding YAML` messages. */
function decodeApplyPatch(body: Buffer): { contentType: string; patch: unknown; problems: string[]; yamlError?: string } {
  let decoded;
  try {
    decoded = decodeBody(body, 'application/yaml');
  } catch (err) {
    if (err instanceof ApiError && err.code === 400) throw apiErrors.badRequest(`error decoding YAML: ${err.message}`);
    throw err;
  }
  const v = decoded.value ?? {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
    throw apiErrors.badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`);
  }
  return { contentType: APPLY_PATCH, patch: v, problems: [], yamlError: decoded.yamlError };
}

/** PATCH of the object or its status: the patch applied to the current object, retried on conflicts. */
async function patchObject(ctx: RestContext, req: Request, res: Response, r: ResourceRequest, subresource?: string): Promise<{ object: KubeObject; created: boolean }> {
  const q = req.query as Query;
  const opts = writeOptions(q, 'PATCH', patchContentType(req));
  const { contentType, patch, problems, yamlError } = await decodePatch(req);
  if (contentType === APPLY_PATCH) return applyPatchObject(ctx, res, r, patch as KubeObject, yamlError, opts, subresource);
  const apply = ctx.extensions.applyPatch;
  if (!apply) throw apiErrors.unsupportedMediaType(contentType);
  let warned = false;
  return ctx.storage.updateWith(
    r.d,
    r.namespace,
    r.name!,
    (current) => {
      if (!current) throw apiErrors.notFound(r.d.plural, r.d.group, r.name!);
      const patched = apply(contentType, current, patch, r.d);
      if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw apiErrors.badRequest('the patched object is not an object');
      if (patched.apiVersion !== undefined && patched.apiVersion !== apiVersionOf(r.d)) {
        throw apiErrors.badRequest(`the API version in the data (${String(patched.apiVersion)}) does not match the expected API version (${apiVersionOf(r.d)})`);
      }
      if (patched.kind !== undefined && patched.kind !== r.d.kind) throw apiErrors.badRequest(`the kind of the object (${String(patched.kind)}) does not match the kind of the endpoint (${r.d.kind})`);
      if (patched.metadata?.name !== undefined && patched.metadata.name !== r.name) {
        throw apiErrors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${r.name})`);
      }
      if (hasModel(r.d.model)) {
        const typeError = structuralTypeError(patched, r.d.model, r.d.kind);
        if (typeError) throw apiErrors.badRequest(typeError);
      }
      const unknown = hasModel(r.d.model) ? unknownFields(patched, r.d.model, true, true).map((p) => `unknown field "${p}"`) : [];
      if (!warned && opts.fieldValidation !== 'Ignore') {
        warned = true;
        reportStrict(res, [...problems, ...unknown], opts.fieldValidation, '');
      }
      // The patch pins a resourceVersion only when it sets one; otherwise the latest object is patched.
      const patchedRv = patched.metadata?.resourceVersion;
      if (patchedRv === current.metadata?.resourceVersion) patched.metadata = { ...patched.metadata, resourceVersion: undefined };
      return patched;
    },
    { dryRun: opts.dryRun, user: r.user, subresource, fieldManager: updateManager(req, opts) },
  );
}

/**
 * Server-side apply (application/apply-patch+yaml): the configuration merged into the current
 * object by its field manager, creating the object when it does not exist.
 */
async function applyPatchObject(
  ctx: RestContext,
  res: Response,
  r: ResourceRequest,
  config: KubeObject,
  yamlError: string | undefined,
  opts: WriteParams,
  subresource?: string,
): Promise<{ object: KubeObject; created: boolean }> {
  const scope = { group: r.d.group, version: r.d.version, kind: r.d.kind, model: hasModel(r.d.model) ? r.d.model : undefined, hasStatus: !!r.d.subresources.status };
  let checkedStrict = false;
  return ctx.storage.updateWith(
    r.d,
    r.namespace,
    r.name!,
    (current) => {
      const { object } = applyConfiguration(scope, current, config, { manager: opts.fieldManager, force: opts.force, subresource, now: new Date() });
      // Strict decoding of the YAML (duplicate keys) is checked after a successful apply, as upstream.
      if (!checkedStrict && yamlError && opts.fieldValidation !== 'Ignore') {
        checkedStrict = true;
        const err = `error converting YAML to JSON: ${yamlError}`;
        if (opts.fieldValidation === 'Strict') throw apiErrors.badRequest(`error strict decoding YAML: ${err}`);
        addWarnings(res, err.split('\n'));
      }
      if (!current && object.metadata?.uid) {
        throw apiErrors.conflict(r.d.plural, r.d.group, r.name!, `uid mismatch: the provided object specified uid ${object.metadata.uid}, and no existing object was found`);
      }
      if (object.metadata?.name !== undefined && object.metadata.name !== r.name) {
        throw apiErrors.badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${r.name})`);
      }
      if (current && object.metadata?.resourceVersion === current.metadata?.resourceVersion && config.metadata?.resourceVersion === undefined) {
        object.metadata = { ...object.metadata, resourceVersion: undefined };
      }
      return object;
    },
    { dryRun: opts.dryRun, user: r.user, subresource, forceAllowCreate: true },
  );
}

async function servePatch(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const output = outputFor(req);
  const { object, created } = await patchObject(ctx, req, res, r);
  send(req, res, created ? 201 : 200, r.d, object, output);
}

function deleteOptionsFrom(q: Query, body: unknown): DeleteOptions & { dryRun: boolean } {
  const opts: DeleteOptions & { dryRun: boolean } = { dryRun: false };
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (b.kind !== undefined && b.kind !== 'DeleteOptions') throw apiErrors.badRequest(`${String(b.kind)} in version "${String(b.apiVersion ?? 'v1').split('/').pop()}" cannot be handled as a DeleteOptions`);
    if (typeof b.gracePeriodSeconds === 'number') {
      if (!Number.isSafeInteger(b.gracePeriodSeconds)) throw apiErrors.badRequest(`json: cannot unmarshal number ${b.gracePeriodSeconds} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`);
      opts.gracePeriodSeconds = b.gracePeriodSeconds;
    }
    if (b.preconditions && typeof b.preconditions === 'object') opts.preconditions = b.preconditions as DeleteOptions['preconditions'];
    if (typeof b.propagationPolicy === 'string') opts.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (typeof b.orphanDependents === 'boolean') opts.orphanDependents = b.orphanDependents;
    if (Array.isArray(b.dryRun) && b.dryRun.includes('All')) opts.dryRun = true;
  }
  const grace = intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const pp = param(q, 'propagationPolicy');
  if (pp) opts.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  const orphan = boolParam(q, 'orphanDependents');
  if (orphan !== undefined) opts.orphanDependents = orphan;
  const dry = q.dryRun;
  if (dry !== undefined) {
    const values = (Array.isArray(dry) ? dry : [dry]).map(String);
    if (values.some((v) => v !== 'All')) throw apiErrors.invalid('DeleteOptions', 'meta.k8s.io', '', [fieldErrors.notSupported('dryRun', values, ['All'])]);
    opts.dryRun = true;
  }
  const errs: FieldError[] = [];
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    errs.push(fieldErrors.notSupported('propagationPolicy', opts.propagationPolicy, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  if (opts.propagationPolicy && opts.orphanDependents !== undefined) {
    errs.push(fieldErrors.invalid('propagationPolicy', opts.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (errs.length) throw apiErrors.invalid('DeleteOptions', 'meta.k8s.io', '', errs);
  return opts;
}

async function readDeleteBody(req: Request): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  const mt = mediaTypeOf(req);
  if (mt === 'application/vnd.kubernetes.protobuf') return decodeProtobufBody(body, { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions' }).value;
  return decodeBody(body, mt === 'application/yaml' ? mt : 'application/json').value;
}

async function serveDelete(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const output = outputFor(req);
  const opts = deleteOptionsFrom(req.query as Query, await readDeleteBody(req));
  const { result, deleted } = await ctx.storage.delete(r.d, r.namespace, r.name!, { ...opts, user: r.user });
  const code = !deleted && opts.orphanDependents === false ? 202 : 200;
  if (result.kind === 'Status') sendObject(req, res, code, result, format(output));
  else send(req, res, code, r.d, result as KubeObject, output);
}

async function serveDeleteCollection(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const q = req.query as Query;
  const output = outputFor(req);
  const opts = deleteOptionsFrom(q, await readDeleteBody(req));
  const list = await ctx.storage.deleteCollection(
    r.d,
    r.namespace,
    { predicate: predicateFor(r.d, param(q, 'labelSelector'), param(q, 'fieldSelector')), resourceVersion: param(q, 'resourceVersion') },
    { ...opts, user: r.user },
  );
  sendObject(req, res, 200, renderList(req, r.d, list, output.kind === 'table' ? { kind: 'json' } : output), format(output));
}

// --- subresources ---------------------------------------------------------------------

async function serveStatus(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const output = outputFor(req);
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const obj = await ctx.storage.get(r.d, r.namespace, r.name!);
      return send(req, res, 200, r.d, obj, output);
    }
    case 'PUT': {
      const opts = writeOptions(req.query as Query, 'PUT');
      const obj = await decodeObject(req, res, r.d, opts.fieldValidation);
      const { object } = await ctx.storage.update(r.d, r.namespace, r.name!, obj, { dryRun: opts.dryRun, user: r.user, subresource: 'status', fieldManager: updateManager(req, opts) });
      return send(req, res, 200, r.d, object, output);
    }
    case 'PATCH': {
      const { object } = await patchObject(ctx, req, res, r, 'status');
      return send(req, res, 200, r.d, object, output);
    }
    default:
      throw methodNotAllowed();
  }
}

async function serveFinalize(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  if (req.method !== 'PUT') throw methodNotAllowed();
  const output = outputFor(req);
  const opts = writeOptions(req.query as Query, 'PUT');
  const obj = await decodeObject(req, res, r.d, opts.fieldValidation);
  const finalizers = (obj.spec as { finalizers?: unknown } | undefined)?.finalizers;
  const { object } = await ctx.storage.updateWith(
    r.d,
    r.namespace,
    r.name!,
    (cur) => {
      if (!cur) throw apiErrors.notFound(r.d.plural, r.d.group, r.name!);
      const next = { ...cur, spec: { ...((cur.spec as object) ?? {}), finalizers: Array.isArray(finalizers) ? finalizers : [] } };
      if (obj.metadata?.resourceVersion) next.metadata = { ...next.metadata, resourceVersion: obj.metadata.resourceVersion };
      return next;
    },
    { dryRun: opts.dryRun, user: r.user, subresource: 'finalize', fieldManager: updateManager(req, opts) },
  );
  send(req, res, 200, r.d, object, output);
}

async function serveScale(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const output: Output = chooseOutput(req.headers.accept, false);
  const fmt = output.kind === 'yaml' ? output : ({ kind: 'json' } as Output);
  const scaleModel = { apiVersion: 'autoscaling/v1', kind: 'Scale', model: 'V1Scale' };
  switch (req.method) {
    case 'GET':
    case 'HEAD':
      return sendObject(req, res, 200, await getScale(ctx.storage, r.d, r.namespace, r.name!), fmt);
    case 'PUT': {
      const opts = writeOptions(req.query as Query, 'PUT');
      const scale = await decodeObject(req, res, r.d, opts.fieldValidation, scaleModel);
      return sendObject(req, res, 200, await updateScale(ctx.storage, r.d, r.namespace, r.name!, scale, { dryRun: opts.dryRun, user: r.user, fieldManager: updateManager(req, opts) }), fmt);
    }
    case 'PATCH': {
      const opts = writeOptions(req.query as Query, 'PATCH', patchContentType(req));
      const { contentType, patch, problems } = await decodePatch(req);
      reportStrict(res, problems, opts.fieldValidation, '');
      const apply = ctx.extensions.applyPatch;
      if (!apply || contentType === 'application/apply-patch+yaml') throw apiErrors.unsupportedMediaType(contentType);
      const current = await getScale(ctx.storage, r.d, r.namespace, r.name!);
      const patched = apply(contentType, current, patch, { ...r.d, kind: 'Scale', group: 'autoscaling', version: 'v1', model: 'V1Scale' });
      if (patched.metadata?.resourceVersion === current.metadata?.resourceVersion) patched.metadata = { ...patched.metadata, resourceVersion: undefined };
      return sendObject(req, res, 200, await updateScale(ctx.storage, r.d, r.namespace, r.name!, patched, { dryRun: opts.dryRun, user: r.user, fieldManager: updateManager(req, opts) }), fmt);
    }
    default:
      throw methodNotAllowed();
  }
}

// --- watch ----------------------------------------------------------------------------

/** The last event line encoded: the watchers of one event share their (read-only) event object, so each is encoded once. */
let lastLine: { type: string; object: unknown; line: string } | undefined;
function watchLine(ev: WatchEventOut): string {
  if (lastLine?.object !== ev.object || lastLine.type !== ev.type) lastLine = { type: ev.type, object: ev.object, line: JSON.stringify({ type: ev.type, object: ev.object }) + '\n' };
  return lastLine.line;
}

async function serveWatch(ctx: RestContext, req: Request, res: Response, r: ResourceRequest): Promise<void> {
  const q = req.query as Query;
  const output = outputFor(req, true);
  let fieldSelector = param(q, 'fieldSelector');
  if (r.name !== undefined) {
    // The deprecated single-object watch: a watch with metadata.name=<name>.
    fieldSelector = fieldSelector ? `${fieldSelector},metadata.name=${r.name}` : `metadata.name=${r.name}`;
  }
  const predicate = predicateFor(r.d, param(q, 'labelSelector'), fieldSelector);
  const tableOpts = output.kind === 'table' || output.kind === 'partial' ? tableOptions(req, output) : undefined;
  // Watches of tables send the column definitions with the first row only (as upstream).
  let headersSent = false;
  const timeoutSeconds = intParam(q, 'timeoutSeconds');
  const sendInitial = boolParam(q, 'sendInitialEvents');
  const min = ctx.minRequestTimeoutSeconds;
  // (setTimeout takes at most 2^31-1 ms, about 24 days; longer asks fire at once otherwise.)
  const timeoutMs = Math.min(2 ** 31 - 1, (timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds : min + Math.random() * min) * 1000);
  if (req.method === 'HEAD') {
    // A HEAD has no body: answer the stream's headers and end, rather than hold the
    // connection open for a stream no one will read (the next request on it would wait).
    res.status(200).setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.end();
    return;
  }

  let started = false;
  let ended = false;
  const start = () => {
    if (started) return;
    started = true;
    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.setHeader('Transfer-Encoding', 'chunked');
    res.flushHeaders();
  };
  // The events written in one tick leave in one socket write (one TLS record, one read for the client).
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    res.uncork();
  };
  const finish = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    watch?.stop();
    start();
    uncork();
    res.end();
  };
  const write = (ev: WatchEventOut) => {
    if (ended) return;
    start();
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    let object: unknown = ev.object;
    if (ev.type !== 'ERROR' && ev.type !== 'BOOKMARK' && (output.kind === 'table' || output.kind === 'partial')) {
      const obj = ev.object as KubeObject;
      object =
        output.kind === 'table'
          ? toTable(r.d, [obj], { ...tableOpts!, noHeaders: headersSent, listMeta: { resourceVersion: obj.metadata?.resourceVersion } })
          : partialObjectMetadata(obj, tableOpts!.version);
      headersSent = true;
    }
    res.write(object === ev.object ? watchLine(ev) : JSON.stringify({ type: ev.type, object }) + '\n');
  };
  const timer = setTimeout(finish, timeoutMs);
  let watch: { stop(): void } | undefined;
  req.on('close', finish);
  res.on('close', finish);
  try {
    watch = await ctx.storage.watch(
      r.d,
      r.namespace,
      {
        resourceVersion: param(q, 'resourceVersion'),
        resourceVersionMatch: param(q, 'resourceVersionMatch'),
        allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks') ?? false,
        sendInitialEvents: sendInitial,
        predicate,
      },
      { event: write, close: finish },
    );
  } catch (err) {
    clearTimeout(timer);
    ended = true;
    throw err;
  }
  if (ended) watch.stop();
  else start();
  log.debug({ resource: r.d.plural }, 'watch started');
}
