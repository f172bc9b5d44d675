// The Kubernetes type model, read from @kubernetes/client-node's generated models: each
// model's fields (JSON name, generated type, format) from its `attributeTypeMap`, the
// descriptions and required fields from its .d.ts doc comments, and the upstream definition
// name (`io.k8s.api.apps.v1.Deployment`) derived from which API group serves the kinds that
// reach it. Loaded once, lazily.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import * as generated from '@kubernetes/client-node/dist/gen/models/all.js';

export interface ModelField {
  /** JSON name (upstream's). */
  name: string;
  /** The generated type: `string`, `number`, `boolean`, `Date`, `any`, `IntOrString`,
   *  `Array<T>`, `{ [key: string]: T; }` or another model's name. */
  type: string;
  /** `int32`, `int64`, `double`, `byte`, `date-time`, `date-time-micro`, `int-or-string` or ''. */
  format: string;
  description?: string;
  required: boolean;
}

export interface ModelInfo {
  name: string;
  description?: string;
  fields: ModelField[];
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

type AttributeMap = { name: string; baseName: string; type: string; format: string }[];

const modelsDir = dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node/dist/gen/models/all.js'));
const apisDir = join(modelsDir, '..', 'apis');

let attributeMaps: Map<string, AttributeMap> | undefined;

function attrs(): Map<string, AttributeMap> {
  if (!attributeMaps) {
    attributeMaps = new Map();
    for (const [name, cls] of Object.entries(generated as Record<string, unknown>)) {
      const map = (cls as { attributeTypeMap?: AttributeMap } | undefined)?.attributeTypeMap;
      if (Array.isArray(map)) attributeMaps.set(name, map);
    }
  }
  return attributeMaps;
}

export function allModelNames(): string[] {
  return [...attrs().keys()];
}

export function hasModel(name: string): boolean {
  return attrs().has(name);
}

// ---------------------------------------------------------------- doc comments

interface Docs {
  description?: string;
  fields: Map<string, { description?: string; required: boolean }>;
}

const docsCache = new Map<string, Docs>();

function unescapeDoc(s: string): string {
  return s.replace(/\\(['"\\])/g, '$1').trim();
}

/** Parses the generator's .d.ts: a class comment, then `/** ... *\/` before each `'field'?: T;`. */
function docs(model: string): Docs {
  let d = docsCache.get(model);
  if (d) return d;
  d = { fields: new Map() };
  let text = '';
  try {
    text = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8');
  } catch {
    docsCache.set(model, d);
    return d;
  }
  const cls = /\/\*\*\n\*\s?([\s\S]*?)\n\*\/\nexport declare class /.exec(text);
  if (cls) d.description = unescapeDoc(cls[1]!.replace(/\n\*\s?/g, '\n'));
  const lines = text.split('\n');
  let pending: string[] | undefined;
  let collecting = false;
  for (const line of lines) {
    if (/^ {4}\/\*\*\s*$/.test(line)) {
      collecting = true;
      pending = [];
      continue;
    }
    if (collecting) {
      if (/^ {4}\*\/\s*$/.test(line)) {
        collecting = false;
      } else {
        pending!.push(line.replace(/^ {4}\*\s?/, ''));
      }
      continue;
    }
    const prop = /^ {4}'([^']+)'(\?)?:/.exec(line);
    if (prop) {
      const description = pending && pending.length ? unescapeDoc(pending.join('\n')) : undefined;
      d.fields.set(prop[1]!, { description, required: prop[2] !== '?' });
      pending = undefined;
      continue;
    }
    if (/^ {4}\S/.test(line)) pending = undefined;
  }
  docsCache.set(model, d);
  return d;
}

const infoCache = new Map<string, ModelInfo>();

export function modelInfo(name: string): ModelInfo | undefined {
  const cached = infoCache.get(name);
  if (cached) return cached;
  const map = attrs().get(name);
  if (!map) return undefined;
  const doc = docs(name);
  const info: ModelInfo = {
    name,
    description: doc.description,
    fields: map.map((a) => {
      const fd = doc.fields.get(a.name) ?? doc.fields.get(a.baseName);
      return { name: a.baseName, type: a.type, format: a.format, description: fd?.description, required: fd?.required ?? false };
    }),
  };
  infoCache.set(name, info);
  return info;
}

/** The models a type expression refers to (`Array<V1Container>` -> V1Container). */
export function referencedModels(type: string): string[] {
  const out: string[] = [];
  for (const m of type.matchAll(/[A-Za-z][A-Za-z0-9]*/g)) {
    if (attrs().has(m[0])) out.push(m[0]);
  }
  return out;
}

// ---------------------------------------------------------------- definition names

/** Prefixes the generator adds to disambiguate same-named types of different groups. */
const groupTokens: Record<string, string> = {
  Core: '',
  Apps: 'apps',
  Batch: 'batch',
  Autoscaling: 'autoscaling',
  Policy: 'policy',
};

/** `RbacAuthorization` -> `rbac.authorization.k8s.io`, `Apps` -> `apps`, `Core` -> ''. */
export function groupOfToken(token: string): string {
  if (token in groupTokens) return groupTokens[token]!;
  return token.replace(/([a-z0-9])([A-Z])/g, '$1.$2').toLowerCase() + '.k8s.io';
}

/** The Go package path of a group as upstream names definitions. */
export function packageOfGroup(group: string): string {
  switch (group) {
    case '':
      return 'io.k8s.api.core';
    case 'internal.apiserver.k8s.io':
      return 'io.k8s.api.apiserverinternal';
    case 'apiextensions.k8s.io':
      return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
    case 'apiregistration.k8s.io':
      return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
    case 'meta.k8s.io':
      return 'io.k8s.apimachinery.pkg.apis.meta';
    default:
      return 'io.k8s.api.' + group.split('.')[0];
  }
}

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Models that are apimachinery's meta/v1 types. */
const metaModels = new Set([
  'V1ObjectMeta',
  'V1ListMeta',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1OwnerReference',
  'V1ManagedFieldsEntry',
  'V1Status',
  'V1StatusDetails',
  'V1StatusCause',
  'V1DeleteOptions',
  'V1Preconditions',
  'V1WatchEvent',
  'V1APIResourceList',
  'V1APIResource',
  'V1APIGroup',
  'V1APIGroupList',
  'V1APIVersions',
  'V1GroupVersionForDiscovery',
  'V1ServerAddressByClientCIDR',
  'V1Condition',
  'V1FieldSelectorRequirement',
]);

/** Kinds served under another group's API class (subresources) that belong elsewhere. */
const kindGroupOverrides: Record<string, string> = {
  V1Scale: 'autoscaling',
  V1Eviction: 'policy',
};

const versionRe = /^V\d+(?:alpha\d+|beta\d+)?/;
const prefixedRe = /^([A-Z][a-z]+(?:[A-Z][a-z]+)*?)(V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$/;

interface Naming {
  /** model -> definition name */
  definitions: Map<string, string>;
  /** model -> GVKs it is the kind of */
  kinds: Map<string, GroupVersionKind[]>;
}

let naming: Naming | undefined;

function shortName(model: string): { version: string; short: string; token?: string } {
  const v = versionRe.exec(model);
  if (v) return { version: v[0].toLowerCase(), short: model.slice(v[0].length) };
  const p = prefixedRe.exec(model);
  if (p) return { token: p[1]!, version: p[2]!.toLowerCase(), short: p[3]! };
  return { version: '', short: model };
}

function isKindModel(model: string): boolean {
  const names = new Set((attrs().get(model) ?? []).map((a) => a.baseName));
  return names.has('apiVersion') && names.has('kind');
}

function buildNaming(): Naming {
  const definitions = new Map<string, string>();
  const kinds = new Map<string, GroupVersionKind[]>();
  const addKind = (model: string, gvk: GroupVersionKind) => {
    const list = kinds.get(model) ?? [];
    if (!list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) list.push(gvk);
    kinds.set(model, list);
  };

  // Fixed names.
  for (const m of metaModels) definitions.set(m, `${META}.${shortName(m).short}`);
  definitions.set('VersionInfo', 'io.k8s.apimachinery.pkg.version.Info');
  // Generator-prefixed names carry their group.
  for (const m of attrs().keys()) {
    if (definitions.has(m)) continue;
    const s = shortName(m);
    if (s.token) definitions.set(m, `${packageOfGroup(groupOfToken(s.token))}.${s.version}.${s.short}`);
  }

  // Kinds per group/version from the generated API classes (`AppsV1Api.js` serves V1Deployment...).
  const roots = new Map<string, { group: string; models: Set<string> }>();
  let apiFiles: string[] = [];
  try {
    apiFiles = readdirSync(apisDir).filter((f) => /^[A-Z][A-Za-z]*V\d+(?:alpha\d+|beta\d+)?Api\.js$/.test(f));
  } catch {
    apiFiles = [];
  }
  for (const f of apiFiles) {
    const mm = /^([A-Z][A-Za-z]*?)(V\d+(?:alpha\d+|beta\d+)?)Api\.js$/.exec(f)!;
    const group = groupOfToken(mm[1]!);
    const version = mm[2]!.toLowerCase();
    const text = readFileSync(join(apisDir, f), 'utf8');
    for (const m of text.matchAll(/"([A-Z][A-Za-z0-9]*)", ""/g)) {
      const model = m[1]!;
      if (!attrs().has(model) || metaModels.has(model) || !isKindModel(model)) continue;
      const s = shortName(model);
      const kindGroup = kindGroupOverrides[model] ?? (s.token ? groupOfToken(s.token) : group);
      const kindVersion = s.version || version;
      if (!definitions.has(model)) definitions.set(model, `${packageOfGroup(kindGroup)}.${kindVersion}.${s.short}`);
      addKind(model, { group: kindGroup, version: kindVersion, kind: s.short });
      const root = roots.get(kindGroup) ?? { group: kindGroup, models: new Set<string>() };
      root.models.add(model);
      roots.set(kindGroup, root);
    }
  }

  // Nested types take the package of the first group (core first) whose kinds reach them.
  const order = [...roots.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const g of order) {
    const pkg = packageOfGroup(g);
    const queue = [...roots.get(g)!.models];
    const seen = new Set(queue);
    while (queue.length) {
      const model = queue.shift()!;
      for (const a of attrs().get(model) ?? []) {
        for (const ref of referencedModels(a.type)) {
          if (seen.has(ref)) continue;
          seen.add(ref);
          if (!definitions.has(ref)) {
            const s = shortName(ref);
            definitions.set(ref, `${pkg}.${s.version}.${s.short}`);
          }
          queue.push(ref);
        }
      }
    }
  }
  // Whatever no kind reaches: core.
  for (const m of attrs().keys()) {
    if (!definitions.has(m)) {
      const s = shortName(m);
      definitions.set(m, `io.k8s.api.core.${s.version}.${s.short}`);
    }
  }
  // Meta kinds.
  addKind('V1Status', { group: '', version: 'v1', kind: 'Status' });
  return { definitions, kinds };
}

function getNaming(): Naming {
  naming ??= buildNaming();
  return naming;
}

/** The upstream OpenAPI definition name of a model, e.g. `io.k8s.api.apps.v1.Deployment`. */
export function definitionName(model: string): string {
  return getNaming().definitions.get(model) ?? model;
}

/** The group/version/kinds a model is the kind of (x-kubernetes-group-version-kind). */
export function kindsOfModel(model: string): GroupVersionKind[] {
  return getNaming().kinds.get(model) ?? [];
}
