// Robustness fuzzing of the API server over real HTTPS: thousands of random and mutated
// requests (malformed and truncated bodies, wrong or absent Content-Types, wrong
// apiVersion/kind, bodies over the 3 MiB limit, unknown resources, verbs and subresources,
// bad names, selectors, resourceVersions and continue tokens, random query parameters,
// mutated objects, random patches of every type, odd methods and paths). Every answer must
// come in time and be a success or a well-formed Status with a 4xx code; afterwards the
// server must be ready and a set of sentinel objects the fuzzer never targets must be intact.
//
//   FUZZ_SEED=<n>          replay a run (the seed is printed on failure)
//   FUZZ_REQUESTS=<n>      how many requests (default 10000)
//   FUZZ_CONCURRENCY=<n>   requests in flight (default 16; 1 makes runs fully replayable)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { METHODS } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { stringify as yamlStringify } from 'yaml';
import type { ResourceDescriptor } from '../../api/registry/descriptor.ts';
import { startCluster, type Cluster } from './upstream/harness.ts';

const SEED = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 16);
/** No answer (headers) within this: the server hangs. */
const HANG_MS = 15_000;
const SENTINEL_NS = 'fuzz-sentinel';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

// --- a seeded PRNG (mulberry32) -------------------------------------------------------

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(xs: readonly [number, T][]): T {
    const total = xs.reduce((a, [w]) => a + w, 0);
    let r = this.next() * total;
    for (const [w, v] of xs) if ((r -= w) < 0) return v;
    return xs[xs.length - 1]![1];
  }
  str(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

// --- what a request is ----------------------------------------------------------------

interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The client gives up mid-body (the server must simply survive). */
  abortMidBody?: boolean;
}

interface Outcome {
  status: number;
  contentType: string;
  text: string;
  streamed: boolean;
  error?: string;
}

function describeRequest(r: FuzzRequest): string {
  const body = r.body ? r.body.subarray(0, 300).toString('utf8') + (r.body.length > 300 ? `... (${r.body.length} bytes)` : '') : '';
  return `${r.kind}: ${r.method} ${r.path.length > 300 ? r.path.slice(0, 300) + '...' : r.path}\n  headers: ${JSON.stringify(r.headers)}\n  body: ${body}`;
}

// --- generators -----------------------------------------------------------------------

const FUZZ_NAMESPACES = ['default', 'fuzz-a', 'fuzz-b'];

const NAMES_BAD = (g: Rng): string[] => [
  'A'.repeat(1 + g.int(300)),
  'a'.repeat(254 + g.int(100)),
  'UPPER',
  'with space',
  'a/b',
  'a%2Fb',
  '..',
  '.',
  '%2E%2E',
  'ünïcødé',
  '名前',
  '-leading',
  'trailing-',
  'a_b',
  '%00',
  'a%00b',
  '\u0001',
  '😀',
  '',
  'x'.repeat(5000),
  '%',
  '%ZZ',
  'a;b',
  'a?b=c',
];

const SELECTORS_BAD = [
  '==',
  'a==b,,',
  '!',
  'a in (',
  'a in (b',
  'a notin ()',
  'a,b',
  '=a',
  'a=b=c',
  'a!=',
  '!!a',
  'a in (b,c),!',
  'A'.repeat(400) + '=b',
  'a=' + 'b'.repeat(100),
  'metadata.name=x',
  'spec.nodeName=a',
  'status.phase!=Running',
  'x.y.z=1',
  'metadata.name==a==b',
  '\u0000',
  'a=ü',
  '(a)',
  'a in (b),c notin (d)',
  'a>1',
  'a<1',
  'a gt 1',
];

const RVS_BAD = ['-1', 'abc', '1.5', '99999999999999999999999', '0x10', ' 1', '1 ', '', '9007199254740993', '-0', '1e3', '00', '18446744073709551616'];

function randomContinue(g: Rng): string {
  const variants: (() => string)[] = [
    () => g.str(1 + g.int(80), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_'),
    () => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: g.pick([0, -1, -2, 1, 2 ** 60, 'x', null]), start: g.pick(['', 'x', '../../secrets/x', '/', '\u0000', 'a'.repeat(1000)]) })).toString('base64url'),
    () => Buffer.from(JSON.stringify({ v: g.pick(['meta.k8s.io/v1', 'v2', null, 1]), rv: 5, start: 'a' })).toString('base64'),
    () => Buffer.from('not json at all').toString('base64url'),
    () => Buffer.from(JSON.stringify([1, 2, 3])).toString('base64url'),
    () => '%%%',
    () => Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1e308, start: 'a' })).toString('base64url'),
  ];
  return g.pick(variants)();
}

function randomScalar(g: Rng): Json {
  return g.pick<() => Json>([
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 53 + 2,
    () => -(2 ** 63),
    () => 1e300,
    () => -0,
    () => '',
    () => g.str(1 + g.int(20)),
    () => 'ü\u0000\u001f"\\',
    () => '\ud800',
    () => 'x'.repeat(1000 + g.int(g.chance(0.1) ? 100_000 : 10_000)),
    () => '2024-13-45T99:99:99Z',
    () => '100Gi',
    () => '-1',
    () => '1e1000',
  ])();
}

function deepNest(depth: number, leaf: Json, asArray: boolean): Json {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

function randomValue(g: Rng, depth = 0): Json {
  const r = g.int(10);
  if (depth > 3 || r < 5) return randomScalar(g);
  if (r < 7) {
    const o: Record<string, Json> = {};
    for (let i = g.int(4); i > 0; i--) o[g.pick(['a', 'name', 'spec', 'metadata', '$patch', '__proto__', 'constructor', '', 'ü', g.str(5)])] = randomValue(g, depth + 1);
    return o;
  }
  if (r < 9) return Array.from({ length: g.int(4) }, () => randomValue(g, depth + 1));
  return g.pick<() => Json>([
    () => deepNest(50 + g.int(g.chance(0.1) ? 3000 : 300), 1, g.chance(0.5)),
    () => Array.from({ length: 1000 + g.int(g.chance(0.1) ? 50_000 : 5_000) }, (_, i) => i),
    () => Array.from({ length: 200 + g.int(1000) }, () => ({ name: g.str(3), value: g.str(3) })),
  ])();
}

/** Valid-ish objects per kind (mutated afterwards), generic for the rest. */
function sampleObject(g: Rng, d: ResourceDescriptor, name: string): Json {
  const apiVersion = d.group ? `${d.group}/${d.version}` : d.version;
  const base: Json = { apiVersion, kind: d.kind, metadata: { name, labels: { fuzz: 'true', tier: g.pick(['a', 'b']) }, annotations: { note: g.str(8) } } };
  const podSpec = { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1'], ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }] }] };
  const template = { metadata: { labels: { app: name } }, spec: podSpec };
  switch (d.kind) {
    case 'ConfigMap':
      return { ...base, data: { a: 'b', 'c.d': 'e' } };
    case 'Secret':
      return { ...base, type: 'Opaque', data: { a: Buffer.from('b').toString('base64') }, stringData: { s: 't' } };
    case 'Pod':
      return { ...base, spec: podSpec };
    case 'PodTemplate':
      return { ...base, template };
    case 'Service':
      return { ...base, spec: { ports: [{ port: 80, targetPort: 8080, name: 'http' }], selector: { app: name } } };
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
      return { ...base, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template, serviceName: 'x' } };
    case 'ReplicationController':
      return { ...base, spec: { replicas: 1, selector: { app: name }, template } };
    case 'Job':
      return { ...base, spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } };
    case 'CronJob':
      return { ...base, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } } } };
    case 'Lease':
      return { ...base, spec: { holderIdentity: 'h', leaseDurationSeconds: 10 } };
    case 'Namespace':
      return { ...base };
    case 'Node':
      return { ...base, spec: { podCIDR: '10.0.0.0/24' } };
    case 'PriorityClass':
      return { ...base, value: g.int(1000) };
    case 'Event':
      return d.group
        ? { ...base, eventTime: new Date().toISOString().replace('Z', '000Z'), reportingController: 'a/b', reportingInstance: 'i', action: 'A', reason: 'R', type: 'Normal', regarding: { kind: 'Pod', name: 'p' } }
        : { ...base, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'R', message: 'm', type: 'Normal' };
    case 'EndpointSlice':
      return { ...base, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] };
    case 'Endpoints':
      return { ...base, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] };
    case 'PersistentVolumeClaim':
      return { ...base, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    case 'PersistentVolume':
      return { ...base, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } } };
    case 'ResourceQuota':
      return { ...base, spec: { hard: { pods: '10', 'requests.cpu': '1' } } };
    case 'LimitRange':
      return { ...base, spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } };
    default:
      return { ...base, spec: {} };
  }
}

/** Paths inside a JSON value (for mutations and JSON patches). */
function paths(v: Json, prefix: string[] = [], out: string[][] = [], depth = 0): string[][] {
  out.push(prefix);
  if (depth > 6 || out.length > 200) return out;
  if (Array.isArray(v)) v.slice(0, 5).forEach((x, i) => paths(x, [...prefix, String(i)], out, depth + 1));
  else if (v && typeof v === 'object') for (const k of Object.keys(v).slice(0, 10)) paths(v[k], [...prefix, k], out, depth + 1);
  return out;
}

function setAt(obj: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  if (obj === null || typeof obj !== 'object') return obj;
  // Copies along the path only (values can be too deep for structuredClone).
  const copy: Json = Array.isArray(obj) ? [...obj] : { ...obj };
  const [k, ...rest] = path as [string, ...string[]];
  const v = rest.length === 0 ? value : setAt(obj[k], rest, value);
  if (v === undefined && rest.length === 0) {
    if (Array.isArray(copy)) copy.splice(Number(k), 1);
    else delete copy[k];
  } else Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  return copy;
}

function mutate(g: Rng, obj: Json, rounds = 1 + g.int(3)): Json {
  let v = obj;
  for (let i = 0; i < rounds; i++) {
    const ps = paths(v);
    const p = g.pick(ps);
    v = g.weighted<() => Json>([
      [5, () => setAt(v, p, randomValue(g))],
      [2, () => setAt(v, p, undefined)],
      [2, () => setAt(v, [...p, g.pick(['extra', 'unknownField', '$patch', '$retainKeys', '__proto__', 'ü', ''])], randomValue(g))],
      [1, () => setAt(v, p, null)],
    ])();
  }
  return v;
}

/** JSON of any value (undefined too). */
function jsonOf(v: Json): string {
  return JSON.stringify(v) ?? 'null';
}

/** YAML of a value; JSON (which is YAML too) when it is too deep for the YAML library. */
function toYaml(v: Json): string {
  const json = jsonOf(v);
  if (json.length > 200_000) return json;
  try {
    return yamlStringify(v ?? null, { lineWidth: 0 });
  } catch {
    return JSON.stringify(v ?? null);
  }
}

function serializeObject(g: Rng, obj: Json): { body: Buffer; contentType?: string; what: string } {
  return g.weighted<() => { body: Buffer; contentType?: string; what: string }>([
    [8, () => ({ body: Buffer.from(jsonOf(obj)), contentType: 'application/json', what: 'json' })],
    [2, () => ({ body: Buffer.from(toYaml(obj)), contentType: g.pick(['application/yaml', 'application/yaml; charset=utf-8', 'text/yaml']), what: 'yaml' })],
    [1, () => ({ body: Buffer.from(jsonOf(obj)), contentType: undefined, what: 'no content-type' })],
    [
      1,
      () => ({
        body: Buffer.from(jsonOf(obj)),
        contentType: g.pick(['text/plain', 'application/xml', 'application/vnd.kubernetes.protobuf', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/*', '*/*', ';;;', 'application/json;;q=x', 'Application/JSON']),
        what: 'odd content-type',
      }),
    ],
    [
      2,
      () => {
        const s = jsonOf(obj);
        return { body: Buffer.from(s.slice(0, g.int(Math.max(1, s.length)))), contentType: 'application/json', what: 'truncated json' };
      },
    ],
    [
      1,
      () => {
        const s = toYaml(obj);
        return { body: Buffer.from(s.slice(0, g.int(Math.max(1, s.length)))), contentType: 'application/yaml', what: 'truncated yaml' };
      },
    ],
    [
      2,
      () => ({
        body: Buffer.from(
          g.pick([
            '{',
            '}',
            '{"a":',
            '{"a" 1}',
            '[1,2',
            'null',
            '"string"',
            '123',
            'true',
            '{"metadata":{"name":"x"},"metadata":{"name":"y"}}',
            '\u0000\u0001\u0002',
            '\ufeff{"kind":"ConfigMap"}',
            '{"a":1}garbage',
            '{"a":NaN}',
            '{"a":Infinity}',
            "{'a':1}",
            '{"a":1,}',
            '{"\\ud800":1}',
            '{"a":"\\u00"}',
            '[' .repeat(100_000),
            '{"a":'.repeat(50_000),
            '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"' + 'a'.repeat(300) + '"}}',
            '{"metadata":{"name":"x","namespace":"other-ns"}}',
            '{"metadata":{"name":"x","resourceVersion":"5"}}',
            '{"metadata":{"generateName":"' + 'g'.repeat(300) + '"}}',
            '{"metadata":{"generateName":"UPPER"}}',
          ]),
        ),
        contentType: 'application/json',
        what: 'malformed json',
      }),
    ],
    [
      1,
      () => ({
        body: Buffer.from(
          g.pick([
            'a: [\n',
            'a: b: c',
            '- 1\n- 2',
            ': :',
            'key: "unterminated',
            '&a [*a]',
            'a: &a [1,2]\nb: *a\nc: *nope',
            // billion laughs
            'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n',
            'metadata:\n  name: x\nmetadata:\n  name: y\n',
            '!!binary aGVsbG8=',
            'a: !!js/function "function(){}"',
            '--- \n---\n...',
            'kind: ConfigMap\napiVersion: v1\nmetadata: {name: yx}\n---\nkind: Secret\n',
            '<<: {a: 1}\n<<: [1]',
            '? [a, b]\n: c',
            'a: 1e1000',
            'a: .nan',
            'metadata: !!set {a, b}',
            '\t- tab',
            'x'.repeat(1000) + ': y',
          ]),
        ),
        contentType: 'application/yaml',
        what: 'malformed yaml',
      }),
    ],
  ])();
}

function randomQuery(g: Rng, opts: { list: boolean; write: boolean }): string {
  // Parameters of lists and watches come mostly with reads, those of writes with writes.
  const L = opts.list ? 1 : 0.3;
  const W = opts.write ? 1 : 0.3;
  const params: [string, string][] = [];
  const n = g.int(4);
  for (let i = 0; i < n; i++) {
    params.push(
      g.weighted<() => [string, string]>([
        [3, () => ['labelSelector', g.chance(0.3) ? 'fuzz=true' : g.pick(SELECTORS_BAD)]],
        [3, () => ['fieldSelector', g.chance(0.3) ? 'metadata.name=a' : g.pick(SELECTORS_BAD)]],
        [3, () => ['resourceVersion', g.chance(0.3) ? String(g.int(g.chance(0.9) ? 60 : 600)) : g.pick(RVS_BAD)]],
        [2 * L, () => ['resourceVersionMatch', g.pick(['Exact', 'NotOlderThan', 'exact', '', 'Bogus'])]],
        [3 * L, () => ['limit', g.pick(['1', '0', '-1', 'abc', '1.5', '99999999999999999999', '500', '2'])]],
        [3 * L, () => ['continue', randomContinue(g)]],
        [2 * L, () => ['watch', g.pick(['true', '1', 'false', 'yes', '', 'TRUE'])]],
        [2 * L, () => ['timeoutSeconds', g.pick(['1', '0', '-1', 'abc', '99999999999'])]],
        [1 * L, () => ['allowWatchBookmarks', g.pick(['true', 'x'])]],
        [1 * L, () => ['sendInitialEvents', g.pick(['true', 'false', 'x'])]],
        [2 * W, () => ['dryRun', g.pick(['All', 'all', 'None', '', 'All,All'])]],
        [2 * W, () => ['fieldValidation', g.pick(['Strict', 'Warn', 'Ignore', 'strict', 'x', ''])]],
        [1 * W, () => ['fieldManager', g.pick(['m', 'x'.repeat(200), '', 'ü', '\u0000'])]],
        [1 * W, () => ['force', g.pick(['true', 'false', 'x'])]],
        [1, () => ['pretty', g.pick(['true', '1', 'x'])]],
        [1, () => ['gracePeriodSeconds', g.pick(['0', '-1', '30', 'x', '99999999999999999999'])]],
        [1, () => ['propagationPolicy', g.pick(['Orphan', 'Background', 'Foreground', 'x', ''])]],
        [1, () => ['orphanDependents', g.pick(['true', 'false', 'x'])]],
        [1, () => ['includeObject', g.pick(['None', 'Object', 'Metadata', 'x'])]],
        [1, () => ['exact', 'true']],
        [1, () => ['export', 'true']],
        [2, () => [g.str(1 + g.int(10)), g.str(g.int(10))]],
        [1, () => ['limit[]', '1']],
      ])(),
    );
  }
  if (params.length === 0) return '';
  return (
    '?' +
    params
      .map(([k, v]) => {
        const raw = g.chance(0.1);
        return raw ? `${k}=${v.replace(/[^\x21-\x7e]/g, safeEncode)}` : `${encodePath(k).replace(/[&=#?]/g, safeEncode)}=${encodePath(v).replace(/[&=#?+]/g, safeEncode)}`;
      })
      .join('&') +
    (g.chance(0.05) ? g.pick(['&', '&&', '&=', '&a', '#frag', '%', '%zz', '&labelSelector=a&labelSelector=b']) : '')
  );
}

function mutatePath(g: Rng, path: string): string {
  const segs = path.split('/');
  const op = g.int(12);
  const at = 1 + g.int(Math.max(1, segs.length - 1));
  switch (op) {
    case 0:
      segs.splice(at, 0, '..');
      break;
    case 1:
      segs.splice(at, 0, '.');
      break;
    case 2:
      segs.splice(at, 0, '');
      break;
    case 3:
      segs[at] = (segs[at] ?? '') + '%00';
      break;
    case 4:
      segs[at] = (segs[at] ?? '') + g.pick(['%2F', '%2f..%2f', '%', '%E0%A4%A', '%C0%AE', '%u0041', '%25']);
      break;
    case 5:
      segs[at] = (segs[at] ?? '').toUpperCase();
      break;
    case 6:
      segs.push(g.pick(['status', 'scale', 'finalize', 'binding', 'eviction', 'log', 'exec', 'proxy', 'attach', 'portforward', 'ephemeralcontainers', 'approval', 'token', 'resize', 'nope']));
      break;
    case 7:
      segs.push(g.str(1 + g.int(6)), g.str(1 + g.int(6)));
      break;
    case 8:
      return path + '/';
    case 9:
      return '/' + path;
    case 10:
      segs[at] = safeEncode(g.pick(['ü', '名', '😀', ' ', '\t', '#', '?', '[', ']', '\ud800']));
      break;
    default:
      segs[at] = 'x'.repeat(1 + g.int(4000));
  }
  return segs.join('/');
}

class Generator {
  private readonly resources: ResourceDescriptor[];

  constructor(
    private readonly g: Rng,
    descriptors: readonly ResourceDescriptor[],
  ) {
    this.resources = [...descriptors];
  }

  private collectionPath(d: ResourceDescriptor, ns: string): string {
    const prefix = d.group ? `/apis/${d.group}/${d.version}` : `/api/${d.version}`;
    return d.namespaced ? `${prefix}/namespaces/${ns}/${d.plural}` : `${prefix}/${d.plural}`;
  }

  private name(): string {
    const g = this.g;
    if (g.chance(0.75)) return `fz-${g.int(20)}`;
    return encodePath(g.pick(NAMES_BAD(g))).replace(/[/?#]/g, safeEncode);
  }

  next(): FuzzRequest {
    const g = this.g;
    const d = g.pick(this.resources);
    const ns = g.chance(0.9) ? g.pick(FUZZ_NAMESPACES) : encodePath(g.pick(NAMES_BAD(g))).replace(/[/?#]/g, safeEncode);
    const coll = this.collectionPath(d, ns);
    const name = this.name();
    const headers: Record<string, string> = {};
    if (g.chance(0.2)) {
      headers.Accept = g.pick([
        'application/json;as=Table;v=v1;g=meta.k8s.io',
        'application/json;as=Table;v=v1beta1;g=meta.k8s.io',
        'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
        'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
        'application/yaml',
        'application/vnd.kubernetes.protobuf',
        'text/html',
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
        '*/*;q=0',
        ';;;',
        'application/json;q=abc',
        'application/json;as=Table;v=v9;g=meta.k8s.io',
        'image/png, application/json;q=0.1',
      ]);
    }
    const kind = g.weighted<string>([
      [14, 'write-object'],
      [8, 'read'],
      [10, 'patch'],
      [5, 'delete'],
      [4, 'weird-path'],
      [3, 'weird-method'],
      [2, 'non-api'],
      [0.06, 'huge-body'],
      [1, 'abort-mid-body'],
      [1, 'headers'],
    ]);
    switch (kind) {
      case 'write-object': {
        let obj = sampleObject(g, d, name.startsWith('fz-') ? name : `fz-${g.int(20)}`);
        if (g.chance(0.2)) obj.apiVersion = g.pick(['v1', 'apps/v1', 'v2', '', 'nope/v1', 42, null]);
        if (g.chance(0.2)) obj.kind = g.pick(['ConfigMap', 'Secret', 'Pod', '', 'Nope', 1, {}]);
        if (g.chance(0.6)) obj = mutate(g, obj);
        const s = serializeObject(g, obj);
        if (s.contentType) headers['Content-Type'] = s.contentType;
        const put = g.chance(0.35);
        const objName = obj?.metadata?.name;
        const target = put ? `${coll}/${typeof objName === 'string' && objName.length < 300 ? objName : name}` : coll;
        const sub = put && g.chance(0.2) ? `/${g.pick(['status', 'scale', 'finalize', 'nope'])}` : '';
        return { kind: `${put ? 'put' : 'create'} ${s.what}`, method: put ? 'PUT' : 'POST', path: encodePath(target) + sub + randomQuery(g, { list: false, write: true }), headers, body: s.body };
      }
      case 'read': {
        const one = g.chance(0.4);
        const path = one ? `${coll}/${name}${g.chance(0.15) ? `/${g.pick(['status', 'scale', 'log', 'nope'])}` : ''}` : g.chance(0.2) ? this.collectionPath(d, '').replace('/namespaces//', '/') : coll;
        return { kind: 'read', method: g.chance(0.9) ? 'GET' : 'HEAD', path: path + randomQuery(g, { list: !one, write: false }), headers };
      }
      case 'patch': {
        const type = g.pick(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'application/json', 'text/plain', '']);
        if (type) headers['Content-Type'] = type;
        const body = randomPatch(g, type, sampleObject(g, d, name));
        const sub = g.chance(0.2) ? `/${g.pick(['status', 'scale', 'nope'])}` : '';
        return { kind: `patch ${type || 'no content-type'}`, method: 'PATCH', path: `${coll}/${name}${sub}` + randomQuery(g, { list: false, write: true }), headers, body: Buffer.from(body) };
      }
      case 'delete': {
        const one = g.chance(0.6);
        let body: Buffer | undefined;
        if (g.chance(0.4)) {
          headers['Content-Type'] = g.pick(['application/json', 'application/yaml', 'text/plain']);
          body = Buffer.from(
            g.pick([
              JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: g.pick([0, -1, 5, 'x', null, 1e20]) }),
              JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: g.pick([{ uid: 'x' }, { resourceVersion: 'abc' }, 'x', null, []]) }),
              JSON.stringify({ kind: 'DeleteOptions', propagationPolicy: g.pick(['Orphan', 'x', 1]), orphanDependents: g.pick([true, 'x']) }),
              JSON.stringify({ kind: 'Pod', apiVersion: 'v1' }),
              JSON.stringify({ dryRun: g.pick([['All'], 'All', [1], null]) }),
              JSON.stringify(randomValue(g)),
              '{',
              'null',
              '[]',
            ]),
          );
        }
        // Collections are only deleted with a selector, in fuzz namespaces (never the sentinels').
        const path = one ? `${coll}/${name}` : `${coll}`;
        const q = one ? randomQuery(g, { list: false, write: true }) : `?labelSelector=${encodeURIComponent(g.chance(0.5) ? 'fuzz=true' : g.pick(SELECTORS_BAD))}`;
        return { kind: one ? 'delete' : 'deletecollection', method: 'DELETE', path: path + q, headers, body };
      }
      case 'weird-path': {
        const base = g.pick([coll, `${coll}/${name}`, `${coll}/${name}/status`, '/api', '/apis', '/api/v1', `/apis/${d.group || 'apps'}`, '/openapi/v2', '/openapi/v3', '/openapi/v3/api/v1', '/version', '/healthz', '/readyz', '/livez']);
        let p = base;
        for (let i = 1 + g.int(3); i > 0; i--) p = mutatePath(g, p);
        const method = g.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
        let body: Buffer | undefined;
        if (method !== 'GET' && method !== 'DELETE') {
          headers['Content-Type'] = 'application/json';
          body = Buffer.from(JSON.stringify(sampleObject(g, d, `fz-${g.int(20)}`)));
        }
        return { kind: 'weird path', method, path: p + randomQuery(g, { list: true, write: false }), headers, body };
      }
      case 'weird-method': {
        const method = g.pick(METHODS.filter((m) => m !== 'CONNECT'));
        return { kind: 'weird method', method, path: g.pick([coll, `${coll}/${name}`, '/api/v1', '/apis', '/version', '/openapi/v3', `${coll}/${name}/status`]), headers, body: g.chance(0.3) ? Buffer.from('{}') : undefined };
      }
      case 'non-api': {
        const p = g.pick(['/', '/nope', '/api/v2', '/apis/apps/v7', '/apis/nope.io/v1/things', '/apis/apps', '/api/v1/nopes', `/api/v1/namespaces/${ns}/nopes`, '/metrics', '/debug/pprof', '/logs', '/swagger.json', '/openapi/v3/apis/nope/v1', '/openapi/v3/api/v1?hash=abc', '/.well-known/openid-configuration', '/healthz/nope', '/readyz/etcd', '/livez/ping', '/version/x', '//', '/%2e%2e/%2e%2e/etc/passwd', '/api/v1/../../etc/passwd']);
        return { kind: 'non-api', method: g.pick(['GET', 'GET', 'POST', 'DELETE']), path: p, headers };
      }
      case 'huge-body': {
        headers['Content-Type'] = g.pick(['application/json', 'application/yaml', 'application/merge-patch+json']);
        const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `fz-${g.int(20)}` }, data: { x: 'y'.repeat(3 * 1024 * 1024 + g.int(1024 * 1024)) } });
        const method = headers['Content-Type'] === 'application/merge-patch+json' ? 'PATCH' : g.pick(['POST', 'PUT']);
        const path = method === 'POST' ? this.collectionPath(d, g.pick(FUZZ_NAMESPACES)) : `${coll}/fz-${g.int(20)}`;
        return { kind: 'huge body', method, path, headers, body: Buffer.from(big) };
      }
      case 'abort-mid-body': {
        headers['Content-Type'] = 'application/json';
        return { kind: 'abort mid-body', method: 'POST', path: coll, headers, body: Buffer.from(JSON.stringify(sampleObject(g, d, `fz-${g.int(20)}`))), abortMidBody: true };
      }
      default: {
        // Odd headers on ordinary requests.
        const h = g.pick<Record<string, string>>([
          { 'Content-Length': '5' },
          { 'Transfer-Encoding': 'chunked' },
          { 'Content-Encoding': 'gzip' },
          { Expect: '100-continue' },
          { 'X-Forwarded-For': '1.2.3.4' },
          { 'Impersonate-User': 'someone' },
          { 'If-None-Match': '"abc"' },
          { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io', 'Accept-Encoding': 'gzip' },
          { Authorization: 'Bearer wrong' },
          { Authorization: 'Basic YTpi' },
          { Connection: 'Upgrade', Upgrade: 'websocket' },
        ]);
        const method = g.pick(['GET', 'POST']);
        const body = method === 'POST' ? Buffer.from(JSON.stringify(sampleObject(g, d, `fz-${g.int(20)}`))) : undefined;
        const headers2: Record<string, string> = { ...headers, ...h };
        if (body && !headers2['Content-Type']) headers2['Content-Type'] = 'application/json';
        if (headers2['Content-Length'] || headers2['Transfer-Encoding']) {
          // The client computes these itself; keep the request well-framed.
          delete headers2['Content-Length'];
          delete headers2['Transfer-Encoding'];
        }
        return { kind: 'odd headers', method, path: method === 'POST' ? coll : `${coll}${randomQuery(g, { list: true, write: false })}`, headers: headers2, body };
      }
    }
  }
}

/** Percent-encodes what may not appear raw in a request line (lone surrogates too). */
function safeEncode(c: string): string {
  try {
    return encodeURIComponent(c);
  } catch {
    return '%EF%BF%BD';
  }
}

function encodePath(p: string): string {
  return p.replace(/[^\x21-\x7e]/g, safeEncode);
}

function randomPatch(g: Rng, type: string, sample: Json): string {
  const ps = paths(sample).map((p) => '/' + p.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));
  switch (type) {
    case 'application/json-patch+json': {
      const ops = Array.from({ length: 1 + g.int(4) }, () => {
        const op: Json = { op: g.pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'nope', '', 1]) };
        if (g.chance(0.95)) op.path = g.weighted<string>([
          [6, g.pick(ps)],
          [1, g.pick(['', '/', '/-', '/metadata/labels/-', '/spec/containers/-', '/spec/containers/99', '/a~2b', '/~', 'no-slash', '/metadata/name', '/metadata/resourceVersion', '/metadata/uid', '/kind', '/apiVersion', '/spec/containers/0/ports/-1', '/__proto__/x'])],
        ]);
        if (g.chance(0.8)) op.value = g.chance(0.5) ? randomScalar(g) : randomValue(g);
        if (op.op === 'move' || op.op === 'copy' || g.chance(0.1)) op.from = g.pick([...ps, '/nope', '', 7]);
        return op;
      });
      return g.pick([JSON.stringify(ops), JSON.stringify(ops[0]), '[', '[{}]', '[null]', '[[]]', 'null', JSON.stringify(ops).slice(0, g.int(40))]);
    }
    case 'application/apply-patch+yaml': {
      const obj = g.chance(0.7) ? mutate(g, sample) : randomValue(g);
      return g.chance(0.7) ? toYaml(obj) : jsonOf(obj);
    }
    default: {
      const directives = [
        { $patch: g.pick(['delete', 'replace', 'merge', 'nope', 1]) },
        { spec: { containers: [{ name: 'c', $patch: g.pick(['delete', 'replace', 'x']) }] } },
        { spec: { $setElementOrder: g.pick([{ containers: [{ name: 'c' }] }, 'x', [1]]) } },
        { spec: { $retainKeys: g.pick([['a'], 'x', [1]]) } },
        { metadata: { $deleteFromPrimitiveList: g.pick([{ finalizers: ['x'] }, 'x']) } },
        { spec: { '$deleteFromPrimitiveList/args': [1, 'x'] } },
        { spec: { '$setElementOrder/containers': [{ name: 'x' }, 'y', null] } },
        { metadata: { labels: null, annotations: { a: null } } },
        { metadata: { name: 'renamed' } },
        { metadata: { namespace: 'elsewhere' } },
        { apiVersion: 'v9', kind: 'Nope' },
        { spec: { containers: null } },
        { spec: { containers: [{ name: 'c', image: 'i' }, { name: 'c', image: 'j' }] } },
        { spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } },
      ];
      const p = g.weighted<() => Json>([
        [4, () => mutate(g, sample, 1 + g.int(2))],
        [3, () => g.pick(directives)],
        [2, () => randomValue(g)],
        [1, () => g.pick(['{', '[1]', 'null', '"x"', '{"a":1}{"b":2}', '{"metadata":{"labels":{"a":"' + 'b'.repeat(100) + '"}}}'])],
      ])();
      return typeof p === 'string' && p.length < 50 && /^[[{n"]/.test(p) ? p : jsonOf(p);
    }
  }
}

// --- sending --------------------------------------------------------------------------

function send(cluster: Cluster, agent: Agent, r: FuzzRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(hang);
      resolve(o);
    };
    const headers: Record<string, string> = { Authorization: `Bearer ${cluster.server.pki.adminToken}`, ...r.headers };
    if (r.body && !r.abortMidBody) headers['Content-Length'] = String(r.body.length);
    if (r.abortMidBody && r.body) headers['Content-Length'] = String(r.body.length * 2);
    let req: ReturnType<typeof httpsRequest>;
    try {
      req = httpsRequest({ host: cluster.server.host, port: cluster.server.port, path: r.path, method: r.method, headers, agent: r.abortMidBody ? false : agent, servername: 'localhost', ca: cluster.server.pki.caCert }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        // Streams (watches) are not read to the end: a little of them is enough.
        const streamTimer = setTimeout(() => {
          done({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'), streamed: true });
          req.destroy();
        }, 1500);
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size < 64_000_000) chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(streamTimer);
          done({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8'), streamed: false });
        });
        res.on('error', (err) => {
          clearTimeout(streamTimer);
          done({ status: res.statusCode ?? 0, contentType: '', text: '', streamed: false, error: `response error: ${err.message}` });
        });
      });
    } catch (err) {
      // The client refuses to send it (e.g. an invalid header): not the server's business.
      resolve({ status: -1, contentType: '', text: '', streamed: false, error: `client refused: ${(err as Error).message}` });
      return;
    }
    const hang = setTimeout(() => {
      done({ status: 0, contentType: '', text: '', streamed: false, error: `no answer within ${HANG_MS} ms` });
      req.destroy();
    }, HANG_MS);
    req.on('error', (err) => done({ status: 0, contentType: '', text: '', streamed: false, error: `request error: ${err.message}` }));
    if (r.abortMidBody && r.body) {
      req.write(r.body);
      setTimeout(() => {
        req.destroy();
        done({ status: -2, contentType: '', text: '', streamed: false });
      }, 20);
      return;
    }
    req.end(r.body);
  });
}

/**
 * The one 5xx upstream answers on purpose: a resourceVersion newer than any the server has
 * seen is, after a short wait, 504 Timeout with cause ResourceVersionTooLarge (client-go's
 * reflectors retry on it), exactly as kube-apiserver does.
 */
function tooLargeResourceVersion(r: FuzzRequest, o: Outcome): boolean {
  if (r.method === 'HEAD') return /[?&](resourceVersion|continue)=/.test(r.path);
  try {
    const st = JSON.parse(o.text);
    return st.kind === 'Status' && st.code === 504 && st.reason === 'Timeout' && st.details?.causes?.[0]?.reason === 'ResourceVersionTooLarge';
  } catch {
    return false;
  }
}

/**
 * Upstream's other deliberate 5xx: a server-side apply configuration the schema rejects
 * ("failed to create typed patch object ...") is a plain error in kube-apiserver, which it
 * answers as 500 with an unknown reason; api/apply matches that.
 */
function applySchemaRejection(r: FuzzRequest, o: Outcome): boolean {
  if (r.headers['Content-Type'] !== 'application/apply-patch+yaml') return false;
  try {
    const st = JSON.parse(o.text);
    return st.kind === 'Status' && st.code === 500 && st.reason === '' && /^failed to (create typed patch object|merge config)/.test(st.message);
  } catch {
    return false;
  }
}

/** Why an outcome is unacceptable, or undefined when it is fine. */
function judge(r: FuzzRequest, o: Outcome): string | undefined {
  if (o.status === -1 || o.status === -2) return undefined; // refused by the client / aborted on purpose
  if (o.error && o.status === 0) return o.error;
  if (o.status === 504 && tooLargeResourceVersion(r, o)) return undefined;
  if (o.status === 500 && applySchemaRejection(r, o)) return undefined;
  if (o.status >= 500) return `answered ${o.status}: ${o.text.slice(0, 500)}`;
  if (o.status < 100) return `no status (${o.error ?? 'unknown'})`;
  if (o.status >= 400) {
    // The health endpoints answer in plain text, as upstream's healthz mux does.
    if (/^\/(healthz|livez|readyz)(\/|\?|$)/.test(r.path) && o.contentType.startsWith('text/plain')) return undefined;
    if (r.method === 'HEAD') return undefined; // no body to check
    let st: Json;
    try {
      st = JSON.parse(o.text);
    } catch {
      return `a ${o.status} that is not JSON (${o.contentType}): ${o.text.slice(0, 200)}`;
    }
    if (!o.contentType.startsWith('application/json')) return `a ${o.status} Status with Content-Type ${o.contentType}`;
    if (st?.kind !== 'Status' || st.apiVersion !== 'v1' || st.status !== 'Failure') return `a ${o.status} that is not a Failure Status: ${o.text.slice(0, 300)}`;
    if (st.code !== o.status) return `Status code ${st.code} on a ${o.status} response`;
    if (typeof st.message !== 'string' || typeof st.reason !== 'string') return `Status without message/reason: ${o.text.slice(0, 300)}`;
    if (st.metadata === undefined || typeof st.metadata !== 'object') return `Status without metadata: ${o.text.slice(0, 300)}`;
  }
  return undefined;
}

// --- the test -------------------------------------------------------------------------

describe('API server fuzzing', () => {
  let cluster: Cluster;
  const sentinels: { path: string; rv: string; uid: string }[] = [];

  before(async () => {
    cluster = await startCluster();
    const c = cluster.client;
    for (const ns of ['fuzz-a', 'fuzz-b', SENTINEL_NS]) await c.create('/api/v1/namespaces', { metadata: { name: ns } });
    const track = (path: string, o: Json) => sentinels.push({ path, rv: o.metadata.resourceVersion, uid: o.metadata.uid });
    // Sentinels: objects of several kinds whose names and namespace the fuzzer never uses.
    for (let i = 0; i < 5; i++) {
      track(`/api/v1/namespaces/${SENTINEL_NS}/configmaps/sentinel-${i}`, await c.create(`/api/v1/namespaces/${SENTINEL_NS}/configmaps`, { metadata: { name: `sentinel-${i}`, labels: { fuzz: 'true' } }, data: { i: String(i) } }));
      track(`/api/v1/namespaces/${SENTINEL_NS}/secrets/sentinel-${i}`, await c.create(`/api/v1/namespaces/${SENTINEL_NS}/secrets`, { metadata: { name: `sentinel-${i}`, labels: { fuzz: 'true' } }, stringData: { i: String(i) } }));
    }
    track(
      `/apis/apps/v1/namespaces/${SENTINEL_NS}/deployments/sentinel`,
      await c.create(`/apis/apps/v1/namespaces/${SENTINEL_NS}/deployments`, {
        metadata: { name: 'sentinel', labels: { fuzz: 'true' } },
        spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
      }),
    );
    track(`/api/v1/namespaces/${SENTINEL_NS}/pods/sentinel`, await c.create(`/api/v1/namespaces/${SENTINEL_NS}/pods`, { metadata: { name: 'sentinel', labels: { fuzz: 'true' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }));
    track(`/api/v1/namespaces/${SENTINEL_NS}`, await c.get(`/api/v1/namespaces/${SENTINEL_NS}`));
    // Targets: objects of every kind the fuzzer names (fz-0 ... fz-4), so that its patches,
    // updates and deletes meet real objects, not only 404s.
    const g = new Rng(SEED ^ 0x5eed);
    for (const d of cluster.server.registry.descriptors) {
      if (!d.verbs.includes('create')) continue;
      for (const ns of d.namespaced ? ['fuzz-a', 'default'] : ['']) {
        for (let i = 0; i < 5; i++) {
          const prefix = d.group ? `/apis/${d.group}/${d.version}` : `/api/${d.version}`;
          const path = d.namespaced ? `${prefix}/namespaces/${ns}/${d.plural}` : `${prefix}/${d.plural}`;
          await c.request('POST', path, { body: sampleObject(g, d, `fz-${i}`) });
        }
      }
    }
  });

  after(async () => {
    await cluster?.close();
  });

  test(`${REQUESTS} random and mutated requests: 4xx Status or success, never 5xx, a hang or a crash`, { timeout: 300_000 }, async () => {
    const rng = new Rng(SEED);
    const gen = new Generator(rng, cluster.server.registry.descriptors);

    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: cluster.server.pki.caCert });
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const slow: { ms: number; what: string; status: number }[] = [];
    const started = Date.now();
    let nextIndex = 0;
    let genMs = 0;
    const worker = async () => {
      let prev: FuzzRequest | undefined;
      // Generated one at a time, in index order: the same seed makes the same requests.
      for (let i = nextIndex++; i < REQUESTS; i = nextIndex++) {
        const g0 = performance.now();
        const r = gen.next();
        genMs += performance.now() - g0;
        assert.ok(!r.path.includes(SENTINEL_NS), 'the fuzzer never targets the sentinels');
        const t0 = Date.now();
        const o = await send(cluster, agent, r);
        const ms = Date.now() - t0;
        if (ms > 1000 && !o.streamed) slow.push({ ms, what: describeRequest(r).slice(0, 400), status: o.status });
        byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
        byKind.set(r.kind.split(' ')[0]!, (byKind.get(r.kind.split(' ')[0]!) ?? 0) + 1);
        const why = judge(r, o);
        if (why && failures.length < 20) failures.push(`#${i} ${why}\n  ${describeRequest(r)}${process.env.FUZZ_SLOW && prev ? `\n  after: ${describeRequest(prev)}` : ''}`);
        prev = r;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;
    const statuses = [...byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');
    process.stdout.write(`# fuzz: seed ${SEED}, ${REQUESTS} requests in ${seconds.toFixed(1)} s (${CONCURRENCY} in flight); statuses ${statuses}\n`);

    if (process.env.FUZZ_SLOW) process.stdout.write(`# generating took ${(genMs / 1000).toFixed(1)} s\n`);
    if (process.env.FUZZ_SLOW) for (const x of slow.sort((a, b) => b.ms - a.ms).slice(0, 15)) process.stdout.write(`# slow ${x.ms} ms (${x.status}): ${x.what.replace(/\n/g, ' | ')}\n`);
    // The server is still there and ready...
    const ready = await cluster.client.request('GET', '/readyz');
    assert.equal(ready.status, 200, `not ready after fuzzing: ${ready.text} (seed ${SEED})`);
    // ...and nothing it acknowledged before is lost or changed.
    for (const s of sentinels) {
      const r = await cluster.client.request('GET', s.path);
      assert.equal(r.status, 200, `sentinel ${s.path} is gone (seed ${SEED})`);
      assert.equal(r.body.metadata.resourceVersion, s.rv, `sentinel ${s.path} changed (seed ${SEED})`);
      assert.equal(r.body.metadata.uid, s.uid);
    }
    assert.deepEqual(failures, [], `fuzzing found ${failures.length} bad answers; replay with FUZZ_SEED=${SEED} FUZZ_CONCURRENCY=1`);
  });
});
