// EndpointSliceTracker (upstream k8s.io/endpointslice/util): the generation of every slice
// this controller wrote, per service. It tells a sync that the informer has not caught up
// with our own writes yet (acting on such a cache would create duplicate slices), and tells
// slice events that are echoes of our writes from changes someone else made.
import type { KubeObject } from '../runtime/types.ts';
import { SERVICE_NAME_LABEL } from './reconciler.ts';

const DELETION_EXPECTED = -1;

/** The service key (`namespace/name`) of a slice, from its service-name label. */
export function serviceKeyOfSlice(slice: KubeObject): string | undefined {
  const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}

export class EndpointSliceTracker {
  private readonly byService = new Map<string, Map<string, number>>();

  private gens(slice: KubeObject, create = false): Map<string, number> | undefined {
    const key = serviceKeyOfSlice(slice);
    if (!key) return undefined;
    let g = this.byService.get(key);
    if (!g && create) this.byService.set(key, (g = new Map()));
    return g;
  }

  /** Whether the slice is tracked. */
  has(slice: KubeObject): boolean {
    return this.gens(slice)?.has(slice.metadata?.uid ?? '') ?? false;
  }

  /** ShouldSync: the slice is not ours, or newer than what we wrote. */
  shouldSync(slice: KubeObject): boolean {
    const g = this.gens(slice)?.get(slice.metadata?.uid ?? '');
    return g === undefined || (slice.metadata?.generation ?? 0) > g;
  }

  /**
   * StaleSlices: the cache lacks a slice we wrote, holds one older than we wrote, or still
   * holds one we deleted.
   */
  staleSlices(serviceKey: string, slices: KubeObject[]): boolean {
    const g = this.byService.get(serviceKey);
    if (!g) return false;
    const seen = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata?.uid ?? '';
      seen.add(uid);
      const want = g.get(uid);
      if (want !== undefined && (want === DELETION_EXPECTED || want > (s.metadata?.generation ?? 0))) return true;
    }
    for (const [uid, gen] of g) if (gen !== DELETION_EXPECTED && !seen.has(uid)) return true;
    return false;
  }

  /** Records a slice as written (created or updated). */
  update(slice: KubeObject): void {
    this.gens(slice, true)?.set(slice.metadata?.uid ?? '', slice.metadata?.generation ?? 0);
  }

  expectDeletion(slice: KubeObject): void {
    this.gens(slice, true)?.set(slice.metadata?.uid ?? '', DELETION_EXPECTED);
  }

  /** Forgets a deleted slice; true when we deleted it ourselves. */
  handleDeletion(slice: KubeObject): boolean {
    const key = serviceKeyOfSlice(slice);
    const g = key ? this.byService.get(key) : undefined;
    if (!g) return false;
    const uid = slice.metadata?.uid ?? '';
    const gen = g.get(uid);
    g.delete(uid);
    if (g.size === 0) this.byService.delete(key!);
    return gen === DELETION_EXPECTED;
  }

  deleteService(serviceKey: string): void {
    this.byService.delete(serviceKey);
  }
}
