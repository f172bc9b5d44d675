// The OpenAPI documents the API server serves, built from the registry: `/openapi/v3`
// (index), `/openapi/v3/apis/<group>/<version>` (one OpenAPI 3.0 document per group
// version) and `/openapi/v2` (swagger 2.0). Paths, operationIds, parameters, tags and
// extensions follow upstream's generator, since kubectl reads them: `explain` walks the
// schemas by x-kubernetes-group-version-kind, `--validate=strict` checks that the PATCH
// operation of the kind declares the `fieldValidation` query parameter, `apply`/`edit`
// read x-kubernetes-patch-merge-key/-strategy.
import { createHash } from 'node:crypto';
import type { ResourceDescriptor } from '../registry/descriptor.ts';
import type { Registry } from '../registry/registry.ts';
import { definitionName, hasModel, META, type GroupVersionKind } from './models.ts';
import { definitionsClosure, PATCH, refTo, type Flavor, type Schema } from './schema.ts';

// ---------------------------------------------------------------- naming

/** upstream ToValidOperationID: drop non-alphanumerics, capitalizing the letter after each. */
function toValidOperationId(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let upNext = capitalizeFirst;
  for (const c of s) {
    if (/[A-Za-z0-9]/.test(c)) {
      out += upNext ? c.toUpperCase() : c;
      upNext = false;
    } else {
      upNext = true;
    }
  }
  return out;
}

/** `AppsV1`, `CoreV1`, `RbacAuthorizationV1` */
function groupVersionPrefix(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return toValidOperationId(g, true) + toValidOperationId(version, true);
}

/** `apps_v1`, `core_v1`, `rbacAuthorization_v1` */
function tagOf(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return `${toValidOperationId(g, false)}_${toValidOperationId(version, false)}`;
}

function rootPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** The key of a group version in `/openapi/v3`: `api/v1`, `apis/apps/v1`. */
export function openApiV3PathKey(group: string, version: string): string {
  return rootPath(group, version).slice(1);
}

// ---------------------------------------------------------------- parameters

type ParamType = 'string' | 'integer' | 'boolean';

interface Param {
  name: string;
  in: 'query' | 'path';
  type: ParamType;
  description: string;
  required?: boolean;
}

const q = (name: string, type: ParamType, description: string): Param => ({ name, in: 'query', type, description });

const P = {
  allowWatchBookmarks: q(
    'allowWatchBookmarks',
    'boolean',
    'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.',
  ),
  continue: q(
    'continue',
    'string',
    'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token. If the client needs a consistent list, it must restart their list without the continue field. Otherwise, the client may send another list request with the token received with the 410 error, the server will respond with a list starting from the next key, but from the latest snapshot, which is inconsistent from the previous list results - objects that are created, modified, or deleted after the first list request will be included in the response, as long as their keys are after the "next key".\n\nThis field is not supported when watch is true. Clients may start a watch from the last resourceVersion value returned by the server and not miss any modifications.',
  ),
  fieldSelector: q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q(
    'limit',
    'integer',
    'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available. Servers may choose not to support the limit argument and will return all of the available results. If limit is specified and the continue field is empty, clients may assume that no more results are available. This field is not supported if watch is true.\n\nThe server guarantees that the objects returned when using continue will be identical to issuing a single list call without a limit - that is, no objects created, modified, or deleted after the first request is issued will be included in any subsequent continued requests. This is sometimes referred to as a consistent snapshot, and ensures that a client that is using limit to receive smaller chunks of a very large result can ensure they see all possible objects. If objects are updated during a chunked list the version of the object that was present at the time the first list result was calculated is returned.',
  ),
  resourceVersion: q(
    'resourceVersion',
    'string',
    'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  ),
  resourceVersionMatch: q(
    'resourceVersionMatch',
    'string',
    'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset',
  ),
  sendInitialEvents: q(
    'sendInitialEvents',
    'boolean',
    '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event  will be sent. The bookmark will report the ResourceVersion (RV) corresponding to the set of objects, and be marked with `"k8s.io/initial-events-end": "true"` annotation. Afterwards, the watch stream will proceed as usual, sending watch events corresponding to changes (subsequent to the RV) to objects watched.\n\nWhen `sendInitialEvents` option is set, we require `resourceVersionMatch` option to also be set. The semantic of the watch request is as following: - `resourceVersionMatch` = NotOlderThan\n  is interpreted as "data at least as new as the provided `resourceVersion`"\n  and the bookmark event is send when the state is synced\n  to a `resourceVersion` at least as fresh as the one provided by the ListOptions.\n  If `resourceVersion` is unset, this is interpreted as "consistent read" and the\n  bookmark event is send when the state is synced at least to the moment\n  when request started being processed.\n- `resourceVersionMatch` set to any other value or unset\n  Invalid error is returned.\n\nDefaults to true if `resourceVersion=""` or `resourceVersion="0"` (for backward compatibility reasons) and to false otherwise.',
  ),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.'),
  watch: q(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
  ),
  dryRun: q(
    'dryRun',
    'string',
    'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
  ),
  fieldManager: q(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  ),
  fieldManagerPatch: q(
    'fieldManager',
    'string',
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).',
  ),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
  ),
  force: q(
    'force',
    'boolean',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  ),
  gracePeriodSeconds: q(
    'gracePeriodSeconds',
    'integer',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.',
  ),
  ignoreStoreReadError: q(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error. A resource is considered corrupt if it can not be retrieved from the underlying storage successfully because of a) its data can not be transformed e.g. decryption failure, or b) it fails to decode into an object. NOTE: unsafe deletion ignores finalizer constraints, skips precondition checks, and removes the object from the storage. WARNING: This may potentially break the cluster if the workload associated with the resource being unsafe-deleted relies on normal deletion flow. Use only if you REALLY know what you are doing. The default value is false, and the user must opt in to enable it",
  ),
  orphanDependents: q(
    'orphanDependents',
    'boolean',
    'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
  ),
  propagationPolicy: q(
    'propagationPolicy',
    'string',
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  ),
  pretty: q(
    'pretty',
    'string',
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
  ),
  namespace: { name: 'namespace', in: 'path', type: 'string', required: true, description: 'object name and auth scope, such as for teams and projects' } as Param,
  name: (of: string): Param => ({ name: 'name', in: 'path', type: 'string', required: true, description: `name of the ${of}` }),
  path: { name: 'path', in: 'path', type: 'string', required: true, description: 'path to the resource' } as Param,
};

const listParams = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];
const patchParams = [P.dryRun, P.fieldManagerPatch, P.fieldValidation, P.force];
const deleteParams = [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadError, P.orphanDependents, P.propagationPolicy];
const deleteCollectionParams = [
  P.continue,
  P.dryRun,
  P.fieldSelector,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.labelSelector,
  P.limit,
  P.orphanDependents,
  P.propagationPolicy,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
];

// ---------------------------------------------------------------- abstract operations

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';
type Produces = 'object' | 'list' | 'watch' | 'text' | 'connect';

interface Response {
  code: string;
  description: string;
  /** Definition name of the schema; `string` for text responses. */
  def?: string;
}

interface Operation {
  method: Method;
  operationId: string;
  description: string;
  action: string;
  gvk?: GroupVersionKind;
  params: Param[];
  body?: { def: string; required: boolean; patch?: boolean };
  responses: Response[];
  produces: Produces;
  tag: string;
}

interface PathItem {
  params: Param[];
  ops: Operation[];
}

type Paths = Map<string, PathItem>;

const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const WATCH_EVENT = `${META}.WatchEvent`;
const API_RESOURCE_LIST = `${META}.APIResourceList`;

const ok = (def?: string): Response => ({ code: '200', description: 'OK', def });
const created = (def: string): Response => ({ code: '201', description: 'Created', def });
const accepted = (def: string): Response => ({ code: '202', description: 'Accepted', def });
const unauthorized: Response = { code: '401', description: 'Unauthorized' };

function addOp(paths: Paths, path: string, params: Param[], op: Operation): void {
  let item = paths.get(path);
  if (!item) {
    item = { params, ops: [] };
    paths.set(path, item);
  }
  item.ops.push(op);
}

const gvkOf = (d: { group: string; version: string; kind: string }): GroupVersionKind => ({ group: d.group, version: d.version, kind: d.kind });

/** Non-status/scale subresources the generator knows, with their upstream shapes. */
interface SubresourceSpec {
  ops: { method: Method; verb: string; action: string; description: string; params: Param[]; body?: string; response?: string; produces: Produces; codes?: string[] }[];
  gvk?: GroupVersionKind;
  nameOf?: string;
  withPath?: boolean;
}

function connectOps(kindOptions: string, params: Param[], methods: Method[], what: string): SubresourceSpec {
  return {
    gvk: { group: '', version: 'v1', kind: kindOptions },
    nameOf: kindOptions,
    ops: methods.map((m) => ({
      method: m,
      verb: `connect${m[0]!.toUpperCase()}${m.slice(1)}`,
      action: 'connect',
      description: `connect ${m.toUpperCase()} requests to ${what}`,
      params,
      response: 'string',
      produces: 'connect' as Produces,
    })),
  };
}

function subresourceSpec(d: ResourceDescriptor, sub: string): SubresourceSpec | undefined {
  const kind = d.kind;
  const b = (n: string, t: ParamType, desc: string) => q(n, t, desc);
  const container = b('container', 'string', 'The container in which to execute the command. Defaults to only container if there is only one container in the pod.');
  const proxyMethods: Method[] = ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'];
  switch (sub) {
    case 'binding':
      return {
        gvk: { group: '', version: 'v1', kind: 'Binding' },
        nameOf: 'Binding',
        ops: [
          { method: 'post', verb: 'create', action: 'post', description: `create binding of a ${kind}`, params: writeParams, body: 'io.k8s.api.core.v1.Binding', response: 'io.k8s.api.core.v1.Binding', produces: 'object', codes: ['200', '201', '202'] },
        ],
      };
    case 'eviction':
      return {
        gvk: { group: 'policy', version: 'v1', kind: 'Eviction' },
        nameOf: 'Eviction',
        ops: [
          { method: 'post', verb: 'create', action: 'post', description: `create eviction of a ${kind}`, params: writeParams, body: 'io.k8s.api.policy.v1.Eviction', response: 'io.k8s.api.policy.v1.Eviction', produces: 'object', codes: ['200', '201', '202'] },
        ],
      };
    case 'token':
      return {
        gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
        nameOf: 'TokenRequest',
        ops: [
          { method: 'post', verb: 'create', action: 'post', description: `create token of a ${kind}`, params: writeParams, body: 'io.k8s.api.authentication.v1.TokenRequest', response: 'io.k8s.api.authentication.v1.TokenRequest', produces: 'object', codes: ['200', '201', '202'] },
        ],
      };
    case 'log':
      return {
        gvk: { group: '', version: 'v1', kind: kind },
        nameOf: kind,
        ops: [
          {
            method: 'get',
            verb: 'read',
            action: 'get',
            description: `read log of the specified ${kind}`,
            params: [
              b('container', 'string', 'The container for which to stream logs. Defaults to only container if there is one container in the pod.'),
              b('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
              b('insecureSkipTLSVerifyBackend', 'boolean', "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to.  This will make the HTTPS connection between the apiserver and the backend insecure. This means the apiserver cannot verify the log data it is receiving came from the real kubelet.  If the kubelet is configured to verify the apiserver's TLS credentials, it does not mean the connection to the real kubelet is vulnerable to a man in the middle attack (e.g. an attacker could not intercept the actual log data coming from the real kubelet)."),
              b('limitBytes', 'integer', 'If set, the number of bytes to read from the server before terminating the log output. This may not display a complete final line of logging, and may return slightly more or slightly less than the specified limit.'),
              b('previous', 'boolean', 'Return previous terminated container logs. Defaults to false.'),
              b('sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs. If this value precedes the time a pod was started, only logs since the pod start will be returned. If this value is in the future, no logs will be returned. Only one of sinceSeconds or sinceTime may be specified.'),
              b('stream', 'string', 'Specify which container log stream to return to the client. Acceptable values are "All", "Stdout" and "Stderr". If not specified, "All" is used, and both stdout and stderr are returned interleaved. Note that when "TailLines" is specified, "Stream" can only be set to nil or "All".'),
              b('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show. If not specified, logs are shown from the creation of the container or sinceSeconds or sinceTime. Note that when "TailLines" is specified, "Stream" can only be set to nil or "All".'),
              b('timestamps', 'boolean', 'If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.'),
            ],
            response: 'string',
            produces: 'text',
          },
        ],
      };
    case 'exec':
      return connectOps(
        'PodExecOptions',
        [
          b('command', 'string', 'Command is the remote command to execute. argv array. Not executed within a shell.'),
          container,
          b('stderr', 'boolean', 'Redirect the standard error stream of the pod for this call.'),
          b('stdin', 'boolean', 'Redirect the standard input stream of the pod for this call. Defaults to false.'),
          b('stdout', 'boolean', 'Redirect the standard output stream of the pod for this call.'),
          b('tty', 'boolean', 'TTY if true indicates that a tty will be allocated for the exec call. Defaults to false.'),
        ],
        ['get', 'post'],
        `exec of ${kind}`,
      );
    case 'attach':
      return connectOps(
        'PodAttachOptions',
        [
          b('container', 'string', 'The container in which to execute the command. Defaults to only container if there is only one container in the pod.'),
          b('stderr', 'boolean', 'Stderr if true indicates that stderr is to be redirected for the attach call. Defaults to true.'),
          b('stdin', 'boolean', 'Stdin if true, redirects the standard input stream of the pod for this call. Defaults to false.'),
          b('stdout', 'boolean', 'Stdout if true indicates that stdout is to be redirected for the attach call. Defaults to true.'),
          b('tty', 'boolean', 'TTY if true indicates that a tty will be allocated for the attach call. This is passed through the container runtime so the tty is allocated on the worker node by the container runtime. Defaults to false.'),
        ],
        ['get', 'post'],
        `attach of ${kind}`,
      );
    case 'portforward':
      return connectOps('PodPortForwardOptions', [b('ports', 'integer', 'List of ports to forward Required when using WebSockets')], ['get', 'post'], `portforward of ${kind}`);
    case 'proxy': {
      const spec = connectOps(`${kind}ProxyOptions`, [b('path', 'string', `Path is the URL path to use for the current proxy request to ${kind.toLowerCase()}.`)], proxyMethods, `proxy of ${kind}`);
      spec.withPath = true;
      return spec;
    }
    case 'ephemeralcontainers':
    case 'resize': {
      const label = sub === 'ephemeralcontainers' ? 'ephemeralcontainers' : 'resize';
      return {
        gvk: gvkOf(d),
        nameOf: kind,
        ops: [
          { method: 'get', verb: 'read', action: 'get', description: `read ${label} of the specified ${kind}`, params: [], response: definitionName(d.model), produces: 'object' },
          { method: 'patch', verb: 'patch', action: 'patch', description: `partially update ${label} of the specified ${kind}`, params: patchParams, body: PATCH, response: definitionName(d.model), produces: 'object', codes: ['200', '201'] },
          { method: 'put', verb: 'replace', action: 'put', description: `replace ${label} of the specified ${kind}`, params: writeParams, body: definitionName(d.model), response: definitionName(d.model), produces: 'object', codes: ['200', '201'] },
        ],
      };
    }
    case 'finalize':
      return {
        gvk: gvkOf(d),
        nameOf: kind,
        ops: [
          { method: 'put', verb: 'replace', action: 'put', description: `replace finalize of the specified ${kind}`, params: writeParams, body: definitionName(d.model), response: definitionName(d.model), produces: 'object', codes: ['200', '201'] },
        ],
      };
    case 'approval':
      return {
        gvk: gvkOf(d),
        nameOf: kind,
        ops: [
          { method: 'get', verb: 'read', action: 'get', description: `read approval of the specified ${kind}`, params: [], response: definitionName(d.model), produces: 'object' },
          { method: 'patch', verb: 'patch', action: 'patch', description: `partially update approval of the specified ${kind}`, params: patchParams, body: PATCH, response: definitionName(d.model), produces: 'object', codes: ['200', '201'] },
          { method: 'put', verb: 'replace', action: 'put', description: `replace approval of the specified ${kind}`, params: writeParams, body: definitionName(d.model), response: definitionName(d.model), produces: 'object', codes: ['200', '201'] },
        ],
      };
  }
  return undefined;
}

function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** All paths and operations of one resource. */
function resourcePaths(d: ResourceDescriptor, paths: Paths): void {
  const prefix = groupVersionPrefix(d.group, d.version);
  const tag = tagOf(d.group, d.version);
  const root = rootPath(d.group, d.version);
  const def = definitionName(d.model);
  const listModel = d.model + 'List';
  const listDef = hasModel(listModel) ? definitionName(listModel) : def + 'List';
  const gvk = gvkOf(d);
  const verbs = new Set(d.verbs);
  const ns = d.namespaced ? 'Namespaced' : '';
  const collection = d.namespaced ? `${root}/namespaces/{namespace}/${d.plural}` : `${root}/${d.plural}`;
  const item = `${collection}/{name}`;
  const scopeParams = d.namespaced ? [P.namespace] : [];
  const id = (verb: string, suffix = '') => `${verb}${prefix}${ns}${d.kind}${suffix}`;
  const op = (o: Omit<Operation, 'tag'>): Operation => ({ ...o, tag });

  if (verbs.has('list')) {
    addOp(
      paths,
      collection,
      [...scopeParams, P.pretty],
      op({ method: 'get', operationId: id('list'), description: `list or watch objects of kind ${d.kind}`, action: 'list', gvk, params: listParams, responses: [ok(listDef), unauthorized], produces: 'list' }),
    );
    if (d.namespaced) {
      addOp(
        paths,
        `${root}/${d.plural}`,
        [...listParams.slice(0, 6), P.pretty, ...listParams.slice(6)].sort((a, b) => (a.name < b.name ? -1 : 1)),
        op({ method: 'get', operationId: `list${prefix}${d.kind}ForAllNamespaces`, description: `list or watch objects of kind ${d.kind}`, action: 'list', gvk, params: [], responses: [ok(listDef), unauthorized], produces: 'list' }),
      );
    }
  }
  if (verbs.has('create')) {
    addOp(
      paths,
      collection,
      [...scopeParams, P.pretty],
      op({
        method: 'post',
        operationId: id('create'),
        description: `create ${/^[AEIOU]/.test(d.kind) ? 'an' : 'a'} ${d.kind}`,
        action: 'post',
        gvk,
        params: writeParams,
        body: { def, required: true },
        responses: [ok(def), created(def), accepted(def), unauthorized],
        produces: 'object',
      }),
    );
  }
  if (verbs.has('deletecollection')) {
    addOp(
      paths,
      collection,
      [...scopeParams, P.pretty],
      op({
        method: 'delete',
        operationId: `delete${prefix}Collection${ns}${d.kind}`,
        description: `delete collection of ${d.kind}`,
        action: 'deletecollection',
        gvk,
        params: deleteCollectionParams,
        body: { def: DELETE_OPTIONS, required: false },
        responses: [ok(STATUS), unauthorized],
        produces: 'object',
      }),
    );
  }
  const itemParams = [P.name(d.kind), ...scopeParams, P.pretty];
  if (verbs.has('get')) {
    addOp(paths, item, itemParams, op({ method: 'get', operationId: id('read'), description: `read the specified ${d.kind}`, action: 'get', gvk, params: [], responses: [ok(def), unauthorized], produces: 'object' }));
  }
  if (verbs.has('update')) {
    addOp(
      paths,
      item,
      itemParams,
      op({ method: 'put', operationId: id('replace'), description: `replace the specified ${d.kind}`, action: 'put', gvk, params: writeParams, body: { def, required: true }, responses: [ok(def), created(def), unauthorized], produces: 'object' }),
    );
  }
  if (verbs.has('patch')) {
    addOp(
      paths,
      item,
      itemParams,
      op({ method: 'patch', operationId: id('patch'), description: `partially update the specified ${d.kind}`, action: 'patch', gvk, params: patchParams, body: { def: PATCH, required: true, patch: true }, responses: [ok(def), created(def), unauthorized], produces: 'object' }),
    );
  }
  if (verbs.has('delete')) {
    addOp(
      paths,
      item,
      itemParams,
      op({
        method: 'delete',
        operationId: id('delete'),
        description: `delete ${/^[AEIOU]/.test(d.kind) ? 'an' : 'a'} ${d.kind}`,
        action: 'delete',
        gvk,
        params: deleteParams,
        body: { def: DELETE_OPTIONS, required: false },
        responses: [ok(STATUS), accepted(STATUS), unauthorized],
        produces: 'object',
      }),
    );
  }
  if (verbs.has('watch')) {
    const watchParams = (extra: Param[]) => [...listParams, ...extra, P.pretty].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const wroot = `${root}/watch`;
    const wcollection = d.namespaced ? `${wroot}/namespaces/{namespace}/${d.plural}` : `${wroot}/${d.plural}`;
    addOp(
      paths,
      wcollection,
      watchParams(scopeParams),
      op({
        method: 'get',
        operationId: id('watch', 'List'),
        description: `watch individual changes to a list of ${d.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
        action: 'watchlist',
        gvk,
        params: [],
        responses: [ok(WATCH_EVENT), unauthorized],
        produces: 'watch',
      }),
    );
    addOp(
      paths,
      `${wcollection}/{name}`,
      watchParams([P.name(d.kind), ...scopeParams]),
      op({
        method: 'get',
        operationId: id('watch'),
        description: `watch changes to an object of kind ${d.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
        action: 'watch',
        gvk,
        params: [],
        responses: [ok(WATCH_EVENT), unauthorized],
        produces: 'watch',
      }),
    );
    if (d.namespaced) {
      addOp(
        paths,
        `${wroot}/${d.plural}`,
        watchParams([]),
        op({
          method: 'get',
          operationId: `watch${prefix}${d.kind}ListForAllNamespaces`,
          description: `watch individual changes to a list of ${d.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
          action: 'watchlist',
          gvk,
          params: [],
          responses: [ok(WATCH_EVENT), unauthorized],
          produces: 'watch',
        }),
      );
    }
  }

  for (const [sub, spec] of Object.entries(d.subresources)) {
    if (!spec) continue;
    const subPath = `${item}/${sub}`;
    if (sub === 'status' || sub === 'scale') {
      const isScale = sub === 'scale';
      const sdef = isScale ? 'io.k8s.api.autoscaling.v1.Scale' : def;
      const sgvk = isScale ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
      const params = [P.name(isScale ? 'Scale' : d.kind), ...scopeParams, P.pretty];
      const S = capitalize(sub);
      addOp(paths, subPath, params, op({ method: 'get', operationId: id('read', S), description: `read ${sub} of the specified ${d.kind}`, action: 'get', gvk: sgvk, params: [], responses: [ok(sdef), unauthorized], produces: 'object' }));
      addOp(
        paths,
        subPath,
        params,
        op({ method: 'patch', operationId: id('patch', S), description: `partially update ${sub} of the specified ${d.kind}`, action: 'patch', gvk: sgvk, params: patchParams, body: { def: PATCH, required: true, patch: true }, responses: [ok(sdef), created(sdef), unauthorized], produces: 'object' }),
      );
      addOp(
        paths,
        subPath,
        params,
        op({ method: 'put', operationId: id('replace', S), description: `replace ${sub} of the specified ${d.kind}`, action: 'put', gvk: sgvk, params: writeParams, body: { def: sdef, required: true }, responses: [ok(sdef), created(sdef), unauthorized], produces: 'object' }),
      );
      continue;
    }
    const s = subresourceSpec(d, sub);
    if (!s) continue;
    const S = sub === 'ephemeralcontainers' ? 'EphemeralContainers' : sub === 'portforward' ? 'Portforward' : capitalize(sub);
    const variants = s.withPath ? [{ path: subPath, suffix: '', extra: [] as Param[] }, { path: `${subPath}/{path}`, suffix: 'WithPath', extra: [P.path] }] : [{ path: subPath, suffix: '', extra: [] as Param[] }];
    for (const v of variants) {
      const params = [P.name(s.nameOf ?? d.kind), ...scopeParams, ...v.extra];
      for (const o of s.ops) {
        const codes = o.codes ?? ['200'];
        const responses: Response[] = codes.map((c) => (c === '200' ? ok(o.response) : c === '201' ? created(o.response!) : accepted(o.response!)));
        const opParams = o.produces === 'connect' && v.suffix ? o.params.filter((p) => p.name !== 'path') : o.params;
        addOp(
          paths,
          v.path,
          o.produces === 'connect' ? params : [...params, P.pretty],
          op({
            method: o.method,
            operationId: `${o.verb}${prefix}${ns}${d.kind}${S}${v.suffix}`,
            description: o.description,
            action: o.action,
            gvk: s.gvk,
            params: opParams,
            body: o.body ? { def: o.body, required: true, patch: o.body === PATCH } : undefined,
            responses: [...responses, unauthorized],
            produces: o.produces,
          }),
        );
      }
    }
  }
}

function groupVersionPaths(registry: Registry, group: string, version: string): Paths {
  const paths: Paths = new Map();
  const root = rootPath(group, version);
  addOp(paths, `${root}/`, [], {
    method: 'get',
    operationId: `get${groupVersionPrefix(group, version)}APIResources`,
    description: 'get available resources',
    action: '',
    params: [],
    responses: [ok(API_RESOURCE_LIST), unauthorized],
    produces: 'object',
    tag: tagOf(group, version),
  });
  for (const d of registry.inGroupVersion(group, version)) resourcePaths(d, paths);
  return paths;
}

// ---------------------------------------------------------------- rendering

const objectTypes = ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'];
const listTypes = ['application/json', 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf', 'application/vnd.kubernetes.protobuf;stream=watch', 'application/yaml'];
const patchTypes = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

function contentTypes(p: Produces): string[] {
  switch (p) {
    case 'list':
    case 'watch':
      return listTypes;
    case 'text':
      return ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml', 'text/plain'];
    case 'connect':
      return ['*/*'];
    default:
      return objectTypes;
  }
}

function responseSchema(def: string | undefined, flavor: Flavor): Schema | undefined {
  if (!def) return undefined;
  return def === 'string' ? { type: 'string' } : refTo(def, flavor);
}

function renderParamV3(p: Param): Schema {
  const out: Schema = { description: p.description, in: p.in, name: p.name };
  if (p.required) out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function renderParamV2(p: Param): Schema {
  const out: Schema = { description: p.description, in: p.in, name: p.name };
  if (p.required) out.required = true;
  out.type = p.type;
  out.uniqueItems = true;
  return out;
}

function sortedObject<T>(entries: [string, T][]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) out[k] = v;
  return out;
}

function renderOpV3(o: Operation): Schema {
  const out: Schema = { description: o.description, operationId: o.operationId };
  if (o.params.length) out.parameters = o.params.map(renderParamV3);
  if (o.body) {
    const types = o.body.patch ? patchTypes : ['*/*'];
    const body: Schema = { content: sortedObject(types.map((t) => [t, { schema: refTo(o.body!.def, 'v3') }])) };
    if (o.body.required) body.required = true;
    out.requestBody = body;
  }
  out.responses = sortedObject(
    o.responses.map((r) => {
      const s = responseSchema(r.def, 'v3');
      const resp: Schema = s ? { content: sortedObject(contentTypes(o.produces).map((t) => [t, { schema: s }])), description: r.description } : { description: r.description };
      return [r.code, resp];
    }),
  );
  out.tags = [o.tag];
  out['x-kubernetes-action'] = o.action;
  if (o.gvk) out['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return out;
}

function renderOpV2(o: Operation): Schema {
  const out: Schema = {
    consumes: o.body?.patch ? patchTypes : ['*/*'],
    description: o.description,
    operationId: o.operationId,
  };
  const params: Schema[] = [];
  if (o.body) params.push({ in: 'body', name: 'body', required: o.body.required || undefined, schema: refTo(o.body.def, 'v2') });
  for (const p of o.params) params.push(renderParamV2(p));
  for (const p of params) if (p.required === undefined) delete p.required;
  if (params.length) out.parameters = params;
  out.produces = o.produces === 'list' || o.produces === 'watch' ? listTypes : contentTypes(o.produces);
  out.responses = sortedObject(
    o.responses.map((r) => {
      const s = responseSchema(r.def, 'v2');
      return [r.code, s ? { description: r.description, schema: s } : { description: r.description }];
    }),
  );
  out.schemes = ['https'];
  out.tags = [o.tag];
  out['x-kubernetes-action'] = o.action;
  if (o.gvk) out['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return out;
}

function renderPaths(paths: Paths, flavor: Flavor): Record<string, Schema> {
  return sortedObject(
    [...paths.entries()].map(([path, item]) => {
      const entries: [string, unknown][] = item.ops.map((o) => [o.method, flavor === 'v3' ? renderOpV3(o) : renderOpV2(o)]);
      if (item.params.length) entries.push(['parameters', item.params.map(flavor === 'v3' ? renderParamV3 : renderParamV2)]);
      return [path, sortedObject(entries) as Schema];
    }),
  );
}

/** Every definition the operations refer to. */
function rootDefinitions(paths: Paths): Set<string> {
  const defs = new Set<string>();
  for (const item of paths.values()) {
    for (const o of item.ops) {
      if (o.body) defs.add(o.body.def);
      for (const r of o.responses) if (r.def && r.def !== 'string') defs.add(r.def);
    }
  }
  return defs;
}

/** x-kubernetes-group-version-kind entries the registry contributes, by definition name. */
function kindsIndex(descriptors: readonly ResourceDescriptor[], groupVersions: { group: string; version: string }[]): (def: string) => GroupVersionKind[] {
  const byDef = new Map<string, GroupVersionKind[]>();
  const add = (def: string, g: GroupVersionKind) => {
    const l = byDef.get(def) ?? [];
    if (!l.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) l.push(g);
    byDef.set(def, l);
  };
  for (const d of descriptors) {
    add(definitionName(d.model), gvkOf(d));
    if (hasModel(d.model + 'List')) add(definitionName(d.model + 'List'), { group: d.group, version: d.version, kind: d.listKind });
  }
  for (const gv of groupVersions) {
    add(DELETE_OPTIONS, { ...gv, kind: 'DeleteOptions' });
    add(WATCH_EVENT, { ...gv, kind: 'WatchEvent' });
  }
  return (def) => byDef.get(def) ?? [];
}

export interface OpenApiOptions {
  /** info.version; upstream serves `unversioned` in v3 documents and the server version in v2. */
  version?: string;
}

const securityV3 = { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } };

const v3Cache = new WeakMap<Registry, Map<string, Schema>>();

/**
 * The OpenAPI 3.0 document of one group version (`/openapi/v3/apis/<group>/<version>`,
 * group '' for `/openapi/v3/api/v1`), or undefined if the registry serves no resource there.
 */
export function buildOpenApiV3Document(registry: Registry, group: string, version: string, opts: OpenApiOptions = {}): Schema | undefined {
  const key = `${group}/${version}/${opts.version ?? ''}`;
  let cache = v3Cache.get(registry);
  if (!cache) {
    cache = new Map();
    v3Cache.set(registry, cache);
  }
  const hit = cache.get(key);
  if (hit) return hit;
  const descriptors = registry.inGroupVersion(group, version);
  if (descriptors.length === 0) return undefined;
  const paths = groupVersionPaths(registry, group, version);
  const schemas = definitionsClosure(rootDefinitions(paths), 'v3', kindsIndex(descriptors, [{ group, version }]));
  const doc: Schema = {
    components: { schemas, securitySchemes: securityV3 },
    info: { title: 'Kubernetes', version: opts.version ?? 'unversioned' },
    openapi: '3.0.0',
    paths: renderPaths(paths, 'v3'),
    security: [{ BearerToken: [] }],
  };
  cache.set(key, doc);
  return doc;
}

/** The hash upstream puts in serverRelativeURL (sha512 of the document, upper-case hex). */
export function openApiDocumentHash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

/** `/openapi/v3`: `{paths: {"api/v1": {serverRelativeURL: "/openapi/v3/api/v1?hash=..."}, ...}}`. */
export function buildOpenApiV3Index(registry: Registry, opts: OpenApiOptions = {}): { paths: Record<string, { serverRelativeURL: string }> } {
  const entries: [string, { serverRelativeURL: string }][] = [];
  for (const { group, version } of registry.groupVersions()) {
    const doc = buildOpenApiV3Document(registry, group, version, opts);
    if (!doc) continue;
    const key = openApiV3PathKey(group, version);
    entries.push([key, { serverRelativeURL: `/openapi/v3/${key}?hash=${openApiDocumentHash(doc)}` }]);
  }
  return { paths: sortedObject(entries) };
}

/** Resolves `/openapi/v3/<key>` (`api/v1`, `apis/apps/v1`) to its group and version. */
export function parseOpenApiV3Path(key: string): { group: string; version: string } | undefined {
  const parts = key.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length === 2 && parts[0] === 'api') return { group: '', version: parts[1]! };
  if (parts.length === 3 && parts[0] === 'apis') return { group: parts[1]!, version: parts[2]! };
  return undefined;
}

const v2Cache = new WeakMap<Registry, Map<string, Schema>>();

/** `/openapi/v2`: the swagger 2.0 document of everything served. */
export function buildOpenApiV2(registry: Registry, opts: OpenApiOptions = {}): Schema {
  const key = opts.version ?? '';
  let cache = v2Cache.get(registry);
  if (!cache) {
    cache = new Map();
    v2Cache.set(registry, cache);
  }
  const hit = cache.get(key);
  if (hit) return hit;
  const paths: Paths = new Map();
  for (const { group, version } of registry.groupVersions()) {
    for (const [p, item] of groupVersionPaths(registry, group, version)) paths.set(p, item);
  }
  const definitions = definitionsClosure(rootDefinitions(paths), 'v2', kindsIndex(registry.descriptors, registry.groupVersions()));
  const doc: Schema = {
    definitions,
    info: { title: 'Kubernetes', version: opts.version ?? 'unversioned' },
    paths: renderPaths(paths, 'v2'),
    security: [{ BearerToken: [] }],
    securityDefinitions: securityV3,
    swagger: '2.0',
  };
  cache.set(key, doc);
  return doc;
}
