// Matching and binding PersistentVolumes to claims, as upstream's persistentvolume controller
// (index.go findBestMatchForClaim, component-helpers FindMatchingVolume, GetBindVolumeToClaim,
// bindClaimToVolume, updateClaimStatus): pure functions over wire objects, no API calls.
import { compareQuantity, tryParseQuantity, type Quantity } from '../../api/validation/quantity.ts';
import { labelSelectorAsSelector } from '../runtime/selector.ts';
import type { KubeObject } from '../runtime/types.ts';
import { matchesNodeSelectorTerms } from '../../scheduler/plugins/node-affinity.ts';
import type { Node, NodeSelectorTerm } from '../../scheduler/types.ts';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  claimClass,
  hasAnnotation,
  volumeClass,
  type ObjectRef,
  type PersistentVolume,
  type PersistentVolumeClaim,
} from './volume.ts';

const ZERO: Quantity = { value: 0n, scale: 0, format: 'DecimalSI' };

function storageOf(list: Record<string, string> | undefined): Quantity {
  return tryParseQuantity(list?.storage) ?? ZERO;
}

export function requestedStorage(claim: PersistentVolumeClaim): Quantity {
  return storageOf(claim.spec?.resources?.requests);
}

export function volumeCapacity(volume: PersistentVolume): Quantity {
  return storageOf(volume.spec?.capacity);
}

/** IsVolumeBoundToClaim: the volume's claimRef names the claim (and its uid, once set). */
export function isVolumeBoundToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata?.uid;
}

/** CheckVolumeModeMismatches (both default to Filesystem). */
export function volumeModeMismatch(claim: PersistentVolumeClaim, volume: PersistentVolume): boolean {
  return (claim.spec?.volumeMode || 'Filesystem') !== (volume.spec?.volumeMode || 'Filesystem');
}

/** CheckAccessModes: the volume offers every mode the claim asks for. */
export function accessModesFit(claim: PersistentVolumeClaim, volume: PersistentVolume): boolean {
  const offered = new Set(volume.spec?.accessModes ?? []);
  return (claim.spec?.accessModes ?? []).every((m) => offered.has(m));
}

/** checkVolumeSatisfyClaim: why a volume the claim asked for by name does not fit it ('' when it does). */
export function volumeMismatch(volume: PersistentVolume, claim: PersistentVolumeClaim): string {
  if (volume.metadata?.deletionTimestamp) return `the volume is marked for deletion "${volume.metadata.name ?? ''}"`;
  if (compareQuantity(volumeCapacity(volume), requestedStorage(claim)) < 0) return 'requested PV is too small';
  if (volumeClass(volume) !== claimClass(claim)) return 'storageClassName does not match';
  if (volumeModeMismatch(claim, volume)) return 'incompatible volumeMode';
  if (!accessModesFit(claim, volume)) return 'incompatible accessMode';
  return '';
}

/** CheckNodeAffinity: a volume without required node affinity is reachable from every node. */
export function volumeReachableFrom(volume: PersistentVolume, node: KubeObject): boolean {
  const required = (volume.spec?.nodeAffinity as { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } | undefined)?.required;
  if (!required) return true;
  return matchesNodeSelectorTerms(required.nodeSelectorTerms ?? [], node as Node);
}

/**
 * FindMatchingVolume: a volume pre-bound to the claim wins; otherwise the smallest Available
 * volume of the claim's class whose labels match its selector and that is big enough. With
 * delayed binding and no node yet, only pre-bound volumes are taken; once the scheduler chose a
 * node, the volume must also be reachable from it and offer the claim's access modes.
 */
export function findMatchingVolume(claim: PersistentVolumeClaim, volumes: PersistentVolume[], delayBinding: boolean, node?: KubeObject): PersistentVolume | undefined {
  const requested = requestedStorage(claim);
  const cls = claimClass(claim);
  const selector = claim.spec?.selector ? labelSelectorAsSelector(claim.spec.selector) : undefined;
  let smallest: PersistentVolume | undefined;
  for (const volume of volumes) {
    if (volume.spec?.claimRef && !isVolumeBoundToClaim(volume, claim)) continue;
    const capacity = volumeCapacity(volume);
    if (compareQuantity(capacity, requested) < 0) continue;
    if (volumeModeMismatch(claim, volume)) continue;
    if (volume.metadata?.deletionTimestamp) continue;
    const reachable = !node || volumeReachableFrom(volume, node);
    if (isVolumeBoundToClaim(volume, claim)) return reachable ? volume : undefined;
    if (!node && delayBinding) continue;
    if (volume.status?.phase !== 'Available') continue;
    if (selector && !selector.matches(volume.metadata?.labels)) continue;
    if (volumeClass(volume) !== cls) continue;
    if (!reachable) continue;
    if (node && !accessModesFit(claim, volume)) continue;
    if (!smallest || compareQuantity(volumeCapacity(smallest), capacity) > 0) smallest = volume;
  }
  return smallest;
}

/**
 * findBestMatchForClaim: volumes grouped by their access modes, the groups offering every mode
 * the claim asks for tried from the fewest modes up (a RWO claim prefers a RWO volume to a
 * RWO+RWX one). Throws on an invalid claim selector.
 */
export function findBestMatchForClaim(claim: PersistentVolumeClaim, volumes: PersistentVolume[], delayBinding: boolean, node?: KubeObject): PersistentVolume | undefined {
  const wanted = claim.spec?.accessModes ?? [];
  const groups = new Map<string, { modes: string[]; volumes: PersistentVolume[] }>();
  const sorted = [...volumes].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const v of sorted) {
    const modes = [...new Set(v.spec?.accessModes ?? [])].sort();
    const key = modes.join(',');
    if (!groups.has(key)) groups.set(key, { modes, volumes: [] });
    groups.get(key)!.volumes.push(v);
  }
  const candidates = [...groups.values()].filter((g) => wanted.every((m) => g.modes.includes(m))).sort((a, b) => a.modes.length - b.modes.length);
  for (const g of candidates) {
    const found = findMatchingVolume(claim, g.volumes, delayBinding, node);
    if (found) return found;
  }
  return undefined;
}

/** reference.GetReference of a claim. */
export function claimReference(claim: PersistentVolumeClaim): ObjectRef {
  const m = claim.metadata ?? {};
  return { kind: 'PersistentVolumeClaim', namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: 'v1', resourceVersion: m.resourceVersion };
}

/** GetBindVolumeToClaim: the volume pointing at the claim, and whether that changed it. */
export function bindVolumeToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): { volume: PersistentVolume; dirty: boolean } {
  const out = structuredClone(volume);
  const spec = (out.spec ??= {});
  let dirty = false;
  const prebound = isVolumeBoundToClaim(volume, claim);
  const ref = volume.spec?.claimRef;
  if (!ref || ref.name !== claim.metadata?.name || ref.namespace !== claim.metadata?.namespace || ref.uid !== claim.metadata?.uid) {
    spec.claimRef = claimReference(claim);
    dirty = true;
  }
  if (!prebound && !hasAnnotation(out, ANN_BOUND_BY_CONTROLLER)) {
    out.metadata = { ...out.metadata, annotations: { ...(out.metadata?.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' } };
    dirty = true;
  }
  return { volume: out, dirty };
}

/** bindClaimToVolume: the claim naming the volume, marked bind-completed. */
export function bindClaimToVolume(claim: PersistentVolumeClaim, volume: PersistentVolume): { claim: PersistentVolumeClaim; dirty: boolean } {
  const out = structuredClone(claim);
  const annotations = { ...(out.metadata?.annotations ?? {}) };
  let dirty = false;
  if (volume.metadata?.name !== claim.spec?.volumeName) {
    out.spec = { ...out.spec, volumeName: volume.metadata?.name };
    if (annotations[ANN_BOUND_BY_CONTROLLER] === undefined) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
    dirty = true;
  }
  if (annotations[ANN_BIND_COMPLETED] === undefined) {
    annotations[ANN_BIND_COMPLETED] = 'yes';
    dirty = true;
  }
  out.metadata = { ...out.metadata, annotations };
  return { claim: out, dirty };
}

/**
 * updateClaimStatus: the claim's status for `phase` (access modes and capacity from the volume
 * it is bound to, cleared without one); undefined when nothing changes.
 */
export function claimStatusFor(claim: PersistentVolumeClaim, phase: string, volume: PersistentVolume | undefined): PersistentVolumeClaim['status'] | undefined {
  const cur = claim.status ?? {};
  const next = { ...cur };
  let dirty = false;
  if (cur.phase !== phase) {
    next.phase = phase;
    dirty = true;
  }
  if (!volume) {
    if (cur.accessModes !== undefined) {
      delete next.accessModes;
      dirty = true;
    }
    if (cur.capacity !== undefined) {
      delete next.capacity;
      dirty = true;
    }
  } else {
    if (JSON.stringify(cur.accessModes ?? null) !== JSON.stringify(volume.spec?.accessModes ?? null)) {
      next.accessModes = volume.spec?.accessModes;
      dirty = true;
    }
    // Capacity is set as the claim becomes Bound, never overwritten afterwards (a resize may differ on purpose).
    if (cur.phase !== phase) {
      const have = tryParseQuantity(cur.capacity?.storage);
      if (!have || compareQuantity(have, volumeCapacity(volume)) !== 0) {
        next.capacity = { ...(volume.spec?.capacity ?? {}) };
        dirty = true;
      }
    }
  }
  return dirty ? next : undefined;
}
