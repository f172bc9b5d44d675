// Namespace deletion (upstream pkg/controller/namespace/deletion): the pure-ish reconcile
// of one namespace, given an Api. When the namespace has a deletionTimestamp:
//   1. discover every namespaced resource (preferred versions) that can be listed and deleted;
//   2. delete its content: deletecollection where served, else list + delete each
//      (propagationPolicy Background), then list what remains;
//   3. record the outcome in status.conditions (the five upstream condition types);
//   4. while content remains, ask to be called again; once empty, remove the `kubernetes`
//      finalizer through namespaces/<name>/finalize, and the namespace is deleted.
import { DiscoveryError, type Api, type ApiResource, type ResourceRef } from '../runtime/client.ts';
import { errorMessage, isConflict, isMethodNotAllowed, isNotFound } from '../runtime/errors.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import { rfc3339, type Condition, type KubeObject } from '../runtime/types.ts';
import { mapLimit } from '../runtime/util.ts';

export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false, kind: 'Namespace' };
export const FINALIZER_KUBERNETES = 'kubernetes';

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
export type NamespaceConditionType = (typeof CONDITION_TYPES)[number];

const OK_REASONS: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentHasNoFinalizers',
};
const OK_MESSAGES: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content-preserving finalizers finished',
};

/** What deleting the content found. */
export interface ContentOutcome {
  discoveryErrors: string[];
  deletionErrors: string[];
  /** `resource.group` → instances left. */
  remaining: Map<string, number>;
  /** finalizer → instances still carrying it. */
  finalizers: Map<string, number>;
}

/** The five conditions for an outcome, keeping lastTransitionTime where the status did not change. */
export function namespaceConditions(existing: Condition[], outcome: ContentOutcome, now: Date): Condition[] {
  const fresh = new Map<NamespaceConditionType, Condition>();
  if (outcome.discoveryErrors.length) {
    fresh.set('NamespaceDeletionDiscoveryFailure', {
      type: 'NamespaceDeletionDiscoveryFailure',
      status: 'True',
      reason: 'DiscoveryFailed',
      message: `Discovery failed for some groups, ${outcome.discoveryErrors.length} failing: ${outcome.discoveryErrors.join(', ')}`,
    });
  }
  if (outcome.deletionErrors.length) {
    fresh.set('NamespaceDeletionContentFailure', {
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${outcome.deletionErrors.length} remaining: ${outcome.deletionErrors.join(', ')}`,
    });
  }
  const remaining = [...outcome.remaining].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
  if (remaining.length) {
    fresh.set('NamespaceContentRemaining', {
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${remaining.join(', ')}`,
    });
  }
  const finalizers = [...outcome.finalizers].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (finalizers.length) {
    fresh.set('NamespaceFinalizersRemaining', {
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`,
    });
  }
  const out = existing.filter((c) => !(CONDITION_TYPES as readonly string[]).includes(c.type)).map((c) => ({ ...c }));
  for (const type of CONDITION_TYPES) {
    const next: Condition = fresh.get(type) ?? { type, status: 'False', reason: OK_REASONS[type], message: OK_MESSAGES[type] };
    const prev = existing.find((c) => c.type === type);
    next.lastTransitionTime = prev && prev.status === next.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
    out.push(next);
  }
  return out;
}

function conditionsEqual(a: Condition[], b: Condition[]): boolean {
  const norm = (cs: Condition[]) => JSON.stringify(cs.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']).sort());
  return norm(a) === norm(b);
}

/** The resources whose content a namespace deletion removes. */
export function deletableNamespacedResources(resources: ApiResource[]): ApiResource[] {
  const seen = new Set<string>();
  const out: ApiResource[] = [];
  for (const r of resources) {
    if (!r.namespaced || !r.preferred || !r.verbs.includes('delete') || !r.verbs.includes('list')) continue;
    const gr = `${r.resource}.${r.group}`;
    if (seen.has(gr)) continue;
    seen.add(gr);
    out.push(r);
  }
  return out;
}

function specFinalizers(ns: KubeObject): string[] {
  const f = (ns.spec as { finalizers?: unknown } | undefined)?.finalizers;
  return Array.isArray(f) ? (f as string[]) : [];
}

export interface NamespaceDeleterOptions {
  api: Api;
  now?: () => Date;
  /** Calls in flight while deleting content (default 8). */
  concurrency?: number;
  /** How soon to look again while content remains (default 1 s). */
  pollMs?: number;
}

export class NamespaceDeleter {
  private readonly api: Api;
  private readonly now: () => Date;
  private readonly concurrency: number;
  private readonly pollMs: number;

  constructor(opts: NamespaceDeleterOptions) {
    this.api = opts.api;
    this.now = opts.now ?? (() => new Date());
    this.concurrency = opts.concurrency ?? 8;
    this.pollMs = opts.pollMs ?? 1000;
  }

  /** Reconciles the namespace `name` (upstream namespacedResourcesDeleter.Delete). */
  async sync(name: string): Promise<ReconcileResult> {
    let ns: KubeObject;
    try {
      ns = await this.api.get(NAMESPACES, undefined, name);
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return {};
    const uid = ns.metadata.uid;

    if (!specFinalizers(ns).includes(FINALIZER_KUBERNETES)) {
      // Already finalized: the namespace goes once its other finalizers are done.
      if (specFinalizers(ns).length === 0 && (ns.metadata.finalizers ?? []).length === 0) await this.deleteNamespace(name, uid);
      return {};
    }

    const outcome = await this.deleteAllContent(name);
    ns = await this.updateConditions(ns, outcome);
    const remaining = [...outcome.remaining.values()].reduce((a, b) => a + b, 0);
    if (outcome.discoveryErrors.length || outcome.deletionErrors.length) {
      throw new Error(`namespace ${name}: content deletion incomplete: ${[...outcome.discoveryErrors, ...outcome.deletionErrors].join('; ')}`);
    }
    if (remaining > 0) return { requeueAfterMs: this.pollMs };

    // Empty: remove our finalizer.
    let finalized: KubeObject;
    try {
      finalized = await this.api.update(
        NAMESPACES,
        undefined,
        { ...ns, spec: { ...((ns.spec as object) ?? {}), finalizers: specFinalizers(ns).filter((f) => f !== FINALIZER_KUBERNETES) } },
        'finalize',
      );
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    if (specFinalizers(finalized).length === 0 && (finalized.metadata?.finalizers ?? []).length === 0) await this.deleteNamespace(name, uid);
    return {};
  }

  private async deleteNamespace(name: string, uid: string | undefined): Promise<void> {
    try {
      await this.api.delete(NAMESPACES, undefined, name, { preconditions: uid ? { uid } : undefined });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  private async updateConditions(ns: KubeObject, outcome: ContentOutcome): Promise<KubeObject> {
    const status = (ns.status ?? {}) as { phase?: string; conditions?: Condition[] };
    const existing = status.conditions ?? [];
    const next = namespaceConditions(existing, outcome, this.now());
    if (conditionsEqual(existing, next) && status.phase === 'Terminating') return ns;
    try {
      return await this.api.update(NAMESPACES, undefined, { ...ns, status: { ...status, phase: 'Terminating', conditions: next } }, 'status');
    } catch (err) {
      // A stale read: the conditions are written on the next pass.
      if (isConflict(err)) return ns;
      throw err;
    }
  }

  /** Deletes every namespaced resource's content and counts what remains. */
  async deleteAllContent(namespace: string): Promise<ContentOutcome> {
    const outcome: ContentOutcome = { discoveryErrors: [], deletionErrors: [], remaining: new Map(), finalizers: new Map() };
    let resources: ApiResource[];
    try {
      resources = await this.api.discover();
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      resources = err.partial;
      outcome.discoveryErrors.push(...err.failures);
    }
    await mapLimit(deletableNamespacedResources(resources), this.concurrency, async (r) => {
      const gr = `${r.resource}.${r.group}`;
      try {
        const left = await this.deleteResourceContent(r, namespace);
        if (left.length) outcome.remaining.set(gr, left.length);
        for (const obj of left) {
          for (const f of obj.metadata?.finalizers ?? []) outcome.finalizers.set(f, (outcome.finalizers.get(f) ?? 0) + 1);
        }
      } catch (err) {
        outcome.deletionErrors.push(`${gr}: ${errorMessage(err)}`);
      }
    });
    outcome.deletionErrors.sort();
    return outcome;
  }

  private async deleteResourceContent(r: ApiResource, namespace: string): Promise<KubeObject[]> {
    let collected = false;
    if (r.verbs.includes('deletecollection')) {
      try {
        await this.api.deleteCollection(r, namespace, { propagationPolicy: 'Background' });
        collected = true;
      } catch (err) {
        if (!isMethodNotAllowed(err) && !isNotFound(err)) throw err;
      }
    }
    if (!collected) {
      const list = await this.api.list(r, namespace, { metadataOnly: true });
      for (const item of list.items) {
        if (item.metadata?.deletionTimestamp) continue;
        try {
          await this.api.delete(r, namespace, item.metadata!.name!, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    const left = await this.api.list(r, namespace, { metadataOnly: true });
    return left.items;
  }
}
