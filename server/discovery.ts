// Discovery documents built from the registry: legacy (/api, /apis, /api/v1, /apis/<g>,
// /apis/<g>/<v>) and aggregated (apidiscovery.k8s.io v2 and v2beta1).
import { createHash } from 'node:crypto';
import type { ResourceDescriptor, Verb } from '../api/registry/descriptor.ts';
import type { Registry } from '../api/registry/registry.ts';

/** What a subresource is in discovery: its kind and verbs, as upstream registers them. */
interface SubresourceInfo {
  group?: string;
  version?: string;
  kind?: string;
  verbs: Verb[] | string[];
}

const SUBRESOURCES: Record<string, SubresourceInfo> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
  binding: { group: '', version: 'v1', kind: 'Binding', verbs: ['create'] },
  eviction: { group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
  log: { group: '', version: 'v1', kind: 'Pod', verbs: ['get'] },
  exec: { group: '', version: 'v1', kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { group: '', version: 'v1', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { group: '', version: 'v1', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
  resize: { verbs: ['get', 'patch', 'update'] },
  finalize: { verbs: ['update'] },
  token: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
  approval: { verbs: ['get', 'patch', 'update'] },
};

const PROXY_KINDS: Record<string, string> = { pods: 'PodProxyOptions', services: 'ServiceProxyOptions', nodes: 'NodeProxyOptions' };

function subresourceInfo(d: ResourceDescriptor, name: string): Required<SubresourceInfo> {
  const info = SUBRESOURCES[name] ?? { verbs: ['get', 'patch', 'update'] };
  let kind = info.kind ?? d.kind;
  let group = info.group;
  let version = info.version;
  if (name === 'proxy' && PROXY_KINDS[d.plural]) {
    kind = PROXY_KINDS[d.plural]!;
    group = '';
    version = 'v1';
  }
  return { group: group ?? '', version: version ?? '', kind, verbs: [...info.verbs] };
}

function subresourceNames(d: ResourceDescriptor): string[] {
  return Object.entries(d.subresources)
    .filter(([, v]) => v !== undefined && v !== (false as unknown))
    .map(([k]) => k)
    .sort();
}

/** Upstream's storageVersionHash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>") of the storage version. */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

function storageVersionOf(registry: Registry, d: ResourceDescriptor): { group: string; version: string; kind: string } {
  if (!d.conversion) return { group: d.group, version: d.version, kind: d.kind };
  const stored = registry.versionsOf(d).find((o) => !o.conversion);
  if (stored) return { group: stored.group, version: stored.version, kind: stored.kind };
  const v = d.conversion.storageVersion.includes('/') ? d.conversion.storageVersion.split('/')[1]! : d.conversion.storageVersion;
  return { group: d.group, version: v, kind: d.kind };
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { known: false, major: 0, stage: 0, minor: 0 };
    return { known: true, major: Number(m[1]), stage: m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3, minor: Number(m[3] ?? 0) };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa.known !== pb.known) return pa.known ? -1 : 1;
  if (!pa.known) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.stage !== pb.stage) return pb.stage - pa.stage;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

export interface GroupInfo {
  name: string;
  versions: string[];
}

/** Named groups (core excluded) in registry order, versions in priority order. */
export function namedGroups(registry: Registry): GroupInfo[] {
  const groups = new Map<string, string[]>();
  for (const gv of registry.groupVersions()) {
    if (!gv.group) continue;
    const list = groups.get(gv.group) ?? [];
    if (!list.includes(gv.version)) list.push(gv.version);
    groups.set(gv.group, list);
  }
  return [...groups.entries()].map(([name, versions]) => ({ name, versions: versions.sort(compareKubeVersions) }));
}

export function coreVersions(registry: Registry): string[] {
  return [...new Set(registry.descriptors.filter((d) => !d.group).map((d) => d.version))].sort(compareKubeVersions);
}

// --- legacy discovery -----------------------------------------------------------------

export function apiVersions(registry: Registry, serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: coreVersions(registry),
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupVersionEntry(group: string, version: string) {
  return { groupVersion: `${group}/${version}`, version };
}

export function apiGroup(g: GroupInfo): object {
  return {
    name: g.name,
    versions: g.versions.map((v) => groupVersionEntry(g.name, v)),
    preferredVersion: groupVersionEntry(g.name, g.versions[0]!),
  };
}

export function apiGroupList(registry: Registry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: namedGroups(registry).map(apiGroup) };
}

export function apiGroupDocument(registry: Registry, group: string): object | undefined {
  const g = namedGroups(registry).find((x) => x.name === group);
  if (!g) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) };
}

export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const descriptors = registry.inGroupVersion(group, version);
  if (descriptors.length === 0) return undefined;
  const resources: object[] = [];
  for (const d of descriptors) {
    const sv = storageVersionOf(registry, d);
    const main: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: [...d.verbs],
    };
    if (d.shortNames.length) main.shortNames = [...d.shortNames];
    if (d.categories.length) main.categories = [...d.categories];
    main.storageVersionHash = storageVersionHash(sv.group, sv.version, sv.kind);
    resources.push(main);
    for (const sub of subresourceNames(d)) {
      const info = subresourceInfo(d, sub);
      const entry: Record<string, unknown> = { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced };
      if (info.group !== '' || info.version !== '') {
        entry.group = info.group;
        entry.version = info.version;
      }
      entry.kind = info.kind;
      entry.verbs = info.verbs;
      resources.push(entry);
    }
  }
  const doc: Record<string, unknown> = { kind: 'APIResourceList' };
  if (group) doc.apiVersion = 'v1';
  doc.groupVersion = group ? `${group}/${version}` : version;
  doc.resources = resources;
  return doc;
}

// --- aggregated discovery -------------------------------------------------------------

export type AggregatedVersion = 'v2' | 'v2beta1';

function aggregatedVersion(registry: Registry, group: string, version: string): object {
  const resources = registry.inGroupVersion(group, version).map((d) => {
    const r: Record<string, unknown> = {
      resource: d.plural,
      responseKind: { group: '', version: '', kind: d.kind },
      scope: d.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: d.singular,
      verbs: [...d.verbs],
    };
    if (d.shortNames.length) r.shortNames = [...d.shortNames];
    if (d.categories.length) r.categories = [...d.categories];
    const subs = subresourceNames(d).map((sub) => {
      const info = subresourceInfo(d, sub);
      return { subresource: sub, responseKind: { group: info.group, version: info.version, kind: info.kind }, verbs: info.verbs };
    });
    if (subs.length) r.subresources = subs;
    return r;
  });
  return { version, resources, freshness: 'Current' };
}

/** `/api` (core) or `/apis` (named groups) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(registry: Registry, which: 'core' | 'named', as: AggregatedVersion): object {
  const items =
    which === 'core'
      ? [{ metadata: { creationTimestamp: null }, versions: coreVersions(registry).map((v) => aggregatedVersion(registry, '', v)) }]
      : namedGroups(registry).map((g) => ({
          metadata: { name: g.name, creationTimestamp: null },
          versions: g.versions.map((v) => aggregatedVersion(registry, g.name, v)),
        }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${as}`, metadata: {}, items };
}

export function aggregatedContentType(as: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${as};as=APIGroupDiscoveryList`;
}
