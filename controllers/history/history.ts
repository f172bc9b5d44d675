// ControllerRevisions (upstream pkg/controller/history), pure: the snapshot of a workload's pod
// template that StatefulSets and DaemonSets keep, one per distinct template. A revision's data
// is the strategic merge patch that puts the template back (`kubectl rollout undo` applies it);
// its name is `<owner>-<hash>`; its number orders the history; the oldest revisions no pod
// uses any more are deleted past revisionHistoryLimit.
import type { ResourceRef } from '../runtime/client.ts';
import { newControllerRef } from '../runtime/controller-ref.ts';
import { parseTime } from '../runtime/pods.ts';
import type { KubeObject } from '../runtime/types.ts';
import { canonicalJson, fnv32a, safeEncodeString } from '../deployment/util.ts';

export const CONTROLLERREVISIONS: ResourceRef = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true, kind: 'ControllerRevision' };
/** apps.ControllerRevisionHashLabelKey: on revisions (the hash) and on the pods made from them. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** Upstream truncates the owner's name so that `<prefix>-<hash>` stays a valid name. */
const MAX_NAME_PREFIX = 223;

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

/** A workload whose spec has a pod template (StatefulSet, DaemonSet). */
export interface TemplatedObject extends KubeObject {
  spec?: { template?: unknown; [k: string]: unknown };
}

/** getPatch: `{"spec":{"template":{...,"$patch":"replace"}}}`, the data of the owner's revision. */
export function templatePatch(owner: TemplatedObject): { spec: { template: Record<string, unknown> } } {
  const template = structuredClone((owner.spec?.template ?? {}) as Record<string, unknown>);
  template.$patch = 'replace';
  return { spec: { template } };
}

/** The template a revision's data puts back (ApplyRevision of a template-replacing patch). */
export function templateOf(rev: ControllerRevision): Record<string, unknown> {
  const data = (rev.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
  const { $patch: _replace, ...template } = data.spec?.template ?? {};
  return structuredClone(template);
}

/**
 * HashControllerRevision: FNV-32a over the data (canonical JSON here, so equal data hashes the
 * same however its keys are ordered), then the collision count as a decimal string, safe-encoded.
 */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  const enc = new TextEncoder();
  let h = fnv32a(enc.encode(canonicalJson(data)));
  if (collisionCount !== undefined && collisionCount !== null) h = fnv32a(enc.encode(String(collisionCount)), h);
  return safeEncodeString(String(h));
}

/** ControllerRevisionName: `<prefix>-<hash>`. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, MAX_NAME_PREFIX)}-${hash}`;
}

export interface NewRevisionOptions {
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  templateLabels: Record<string, string> | undefined;
  data: unknown;
  revision: number;
  hash: string;
  annotations?: Record<string, string>;
}

/** NewControllerRevision: the template's labels plus the hash label, owned by the workload. */
export function newControllerRevision(o: NewRevisionOptions): ControllerRevision {
  const metadata: ControllerRevision['metadata'] = {
    name: revisionName(o.owner.metadata?.name ?? '', o.hash),
    namespace: o.owner.metadata?.namespace,
    labels: { ...(o.templateLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: o.hash },
    ownerReferences: [newControllerRef(o.owner, o.ownerApiVersion, o.ownerKind)],
  };
  if (o.annotations && Object.keys(o.annotations).length) metadata.annotations = { ...o.annotations };
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata, data: structuredClone(o.data), revision: o.revision };
}

/** EqualRevision: the same data (semantically: key order and empty values do not matter). */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** FindEqualRevisions, in the order given. */
export function findEqualRevisions(revisions: ControllerRevision[], needle: ControllerRevision): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** SortControllerRevisions: by revision number, then creation time, then name. */
export function sortRevisions<T extends ControllerRevision>(revisions: T[]): T[] {
  return [...revisions].sort((a, b) => {
    const d = (a.revision ?? 0) - (b.revision ?? 0);
    if (d !== 0) return d;
    const t = parseTime(a.metadata?.creationTimestamp) - parseTime(b.metadata?.creationTimestamp);
    if (t !== 0) return t;
    const na = a.metadata?.name ?? '';
    const nb = b.metadata?.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

export function maxRevision(revisions: ControllerRevision[]): number {
  return revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
}

/** nextRevision: one more than the highest. */
export function nextRevision(revisions: ControllerRevision[]): number {
  return maxRevision(revisions) + 1;
}

/**
 * The revisions to delete to keep the history within `limit` (oldest first). Live revisions
 * (a pod or the workload's status uses them) are never deleted. `countLive` says whether live
 * old revisions count against the limit: the DaemonSet controller's cleanupHistory counts
 * every old revision, the StatefulSet controller's truncateHistory only the others.
 */
export function revisionsToTruncate<T extends ControllerRevision>(revisions: T[], isLive: (r: T) => boolean, limit: number, countLive: boolean): T[] {
  const sorted = sortRevisions(revisions);
  const dead = sorted.filter((r) => !isLive(r));
  const excess = (countLive ? sorted.length : dead.length) - Math.max(0, limit);
  return excess > 0 ? dead.slice(0, excess) : [];
}
