// What the persistentvolume controller does with a claim or a volume (upstream syncClaim and
// syncVolume), decided from observed state only: the shell (controller.ts) carries the plans out
// with API calls and events. Claims are bound to the best matching volume, get the default class
// retroactively, are handed to their class's provisioner, or stay Pending with an event saying
// why; volumes follow their claims (Available, Bound, Released) and are reclaimed by policy.
import {
  findBestMatchForClaim,
  isVolumeBoundToClaim,
  volumeMismatch,
  volumeModeMismatch,
} from './binder.ts';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  annotation,
  claimClass,
  claimHasClass,
  claimKey,
  hasAnnotation,
  isDelayBinding,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from './volume.ts';
import type { KubeObject } from '../runtime/types.ts';

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What syncClaim sees besides the claim. */
export interface ClaimView {
  volumes: PersistentVolume[];
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  defaultClass: StorageClass | undefined;
  node(name: string): KubeObject | undefined;
  /** Names of the live, not yet scheduled pods using the claim. */
  unscheduledPods: string[];
}

export type ClaimPlan =
  /** Give a claim that asked for no class the default one (retroactive default class). */
  | { kind: 'assignClass'; className: string }
  | { kind: 'bind'; volume: PersistentVolume }
  /** Ask the class's (external) provisioner for a volume: annotate the claim, tell the user. */
  | { kind: 'provision'; provisioner: string; event: RecordedEvent }
  /** Keep (or set) the claim Pending, with an event saying why. */
  | { kind: 'pending'; event?: RecordedEvent }
  /** Lost is terminal: the event goes out with the phase change only. */
  | { kind: 'lost'; event: RecordedEvent }
  /** Nothing to save; only an event (a provisioning that cannot start). */
  | { kind: 'event'; event: RecordedEvent };

const FAILED_BINDING = 'no persistent volumes available for this claim and no storage class is set';

/** emitEventForUnboundDelayBindingClaim. */
function delayBindingEvent(unscheduled: string[]): RecordedEvent {
  if (unscheduled.length === 0) return { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' };
  const message = unscheduled.length > 1 ? `waiting for pods ${unscheduled.join(',')} to be scheduled` : `waiting for pod ${unscheduled[0]} to be scheduled`;
  return { type: 'Normal', reason: 'WaitForPodScheduled', message };
}

/** provisionClaim: in-tree (`kubernetes.io/…`) provisioners do not exist here; any other is external. */
function provisionPlan(claim: PersistentVolumeClaim, view: ClaimView): ClaimPlan {
  const name = claimClass(claim);
  const sc = view.storageClass(name);
  if (!sc) return { kind: 'event', event: { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${name}" not found` } };
  const provisioner = sc.provisioner ?? '';
  if (provisioner.startsWith('kubernetes.io/')) {
    return { kind: 'event', event: { type: 'Warning', reason: 'ProvisioningFailed', message: `no volume plugin matched name: ${provisioner}` } };
  }
  const message = `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`;
  return { kind: 'provision', provisioner, event: { type: 'Normal', reason: 'ExternalProvisioning', message } };
}

/** syncUnboundClaim. Throws on an invalid claim selector. */
function planUnboundClaim(claim: PersistentVolumeClaim, view: ClaimView): ClaimPlan {
  const volumeName = claim.spec?.volumeName ?? '';
  if (volumeName === '') {
    const delay = isDelayBinding(claim, view.storageClass);
    // Once the scheduler chose a node, volumes reachable from it may be bound (its VolumeBinding's part).
    const selected = annotation(claim, ANN_SELECTED_NODE);
    const node = delay && selected ? view.node(selected) : undefined;
    const volume = findBestMatchForClaim(claim, view.volumes, delay, node);
    if (volume) return { kind: 'bind', volume };
    if (!claimHasClass(claim) && view.defaultClass?.metadata?.name) return { kind: 'assignClass', className: view.defaultClass.metadata.name };
    if (delay && !selected) return { kind: 'pending', event: delayBindingEvent(view.unscheduledPods) };
    if (claimClass(claim) !== '') return provisionPlan(claim, view);
    return { kind: 'pending', event: { type: 'Normal', reason: 'FailedBinding', message: FAILED_BINDING } };
  }
  // The user asked for a specific volume.
  const volume = view.volume(volumeName);
  if (!volume) return { kind: 'pending' };
  if (!volume.spec?.claimRef) {
    const why = volumeMismatch(volume, claim);
    if (why) return { kind: 'pending', event: { type: 'Warning', reason: 'VolumeMismatch', message: `Cannot bind to requested volume "${volumeName}": ${why}` } };
    return { kind: 'bind', volume };
  }
  if (isVolumeBoundToClaim(volume, claim)) return { kind: 'bind', volume };
  const event: RecordedEvent = { type: 'Warning', reason: 'FailedBinding', message: `volume "${volumeName}" already bound to a different claim.` };
  if (!hasAnnotation(claim, ANN_BOUND_BY_CONTROLLER)) return { kind: 'pending', event };
  // Someone removed bind-completed from a claim the controller bound: nothing sane to do.
  throw new Error(`invalid binding of claim "${claimKey(claim)}" to volume "${volumeName}": volume already claimed by "${volume.spec.claimRef.namespace}/${volume.spec.claimRef.name}"`);
}

/** syncBoundClaim. */
function planBoundClaim(claim: PersistentVolumeClaim, view: ClaimView): ClaimPlan {
  const volumeName = claim.spec?.volumeName ?? '';
  if (volumeName === '') return { kind: 'lost', event: { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!' } };
  const volume = view.volume(volumeName);
  if (!volume) return { kind: 'lost', event: { type: 'Warning', reason: 'ClaimLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' } };
  const ref = volume.spec?.claimRef;
  if (!ref || ref.uid === claim.metadata?.uid) return { kind: 'bind', volume };
  return { kind: 'lost', event: { type: 'Warning', reason: 'ClaimMisbound', message: 'Two claims are bound to the same volume, this one is bound incorrectly' } };
}

export function planClaim(claim: PersistentVolumeClaim, view: ClaimView): ClaimPlan {
  return hasAnnotation(claim, ANN_BIND_COMPLETED) ? planBoundClaim(claim, view) : planUnboundClaim(claim, view);
}

export type VolumePlan =
  | { kind: 'phase'; phase: 'Available' | 'Bound' }
  /** The claim is gone (or bound elsewhere and the volume was provisioned for it): Released, then reclaimed. */
  | { kind: 'release' }
  /** The claim does not point back yet: let its sync finish the binding. */
  | { kind: 'syncClaim'; events?: { volume: RecordedEvent; claim: RecordedEvent } }
  /** Undo a binding to a claim that got another volume. */
  | { kind: 'unbind' };

/** syncVolume, with the claim its claimRef names (undefined when it is gone or was replaced). */
export function planVolume(volume: PersistentVolume, claim: PersistentVolumeClaim | undefined): VolumePlan {
  const ref = volume.spec?.claimRef;
  if (!ref || !ref.uid) return { kind: 'phase', phase: 'Available' };
  if (!claim) return { kind: 'release' };
  if (!claim.spec?.volumeName) {
    if (volumeModeMismatch(claim, volume)) {
      return {
        kind: 'syncClaim',
        events: {
          volume: { type: 'Warning', reason: 'VolumeMismatch', message: `Cannot bind PersistentVolume to requested PersistentVolumeClaim "${claim.metadata?.name ?? ''}" due to incompatible volumeMode.` },
          claim: { type: 'Warning', reason: 'VolumeMismatch', message: `Cannot bind PersistentVolume "${volume.metadata?.name ?? ''}" to requested PersistentVolumeClaim due to incompatible volumeMode.` },
        },
      };
    }
    return { kind: 'syncClaim' };
  }
  if (claim.spec.volumeName === volume.metadata?.name) return { kind: 'phase', phase: 'Bound' };
  if (hasAnnotation(volume, ANN_DYNAMICALLY_PROVISIONED) && volume.spec?.persistentVolumeReclaimPolicy === 'Delete') return { kind: 'release' };
  return { kind: 'unbind' };
}

/** A reclaim the controller itself performs: mark the volume Failed with a Warning event. */
export interface ReclaimFailure {
  reason: string;
  message: string;
}

/**
 * reclaimVolume for a Released volume: Retain keeps it; Delete of a volume made by an external
 * provisioner is that provisioner's job; everything else needs an in-tree plugin there is none
 * of, so the volume fails (undefined: nothing for the controller to do).
 */
export function reclaimFailure(volume: PersistentVolume): ReclaimFailure | undefined {
  const name = volume.metadata?.name ?? '';
  switch (volume.spec?.persistentVolumeReclaimPolicy) {
    case 'Retain':
      return undefined;
    case 'Delete': {
      const by = annotation(volume, ANN_DYNAMICALLY_PROVISIONED) ?? '';
      if (by && !by.startsWith('kubernetes.io/')) return undefined;
      return { reason: 'VolumeFailedDelete', message: `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched` };
    }
    case 'Recycle':
      return { reason: 'VolumeFailedRecycle', message: 'No recycler plugin found for the volume!' };
    default:
      return { reason: 'VolumeUnknownReclaimPolicy', message: 'Volume has unrecognized PersistentVolumeReclaimPolicy' };
  }
}

/** unbindVolume: a binding the controller made is removed; a user's pre-binding only loses the uid. */
export function unboundVolume(volume: PersistentVolume): PersistentVolume {
  const out = structuredClone(volume);
  const spec = (out.spec ??= {});
  if (hasAnnotation(volume, ANN_BOUND_BY_CONTROLLER)) {
    delete spec.claimRef;
    const annotations = { ...(out.metadata?.annotations ?? {}) };
    delete annotations[ANN_BOUND_BY_CONTROLLER];
    out.metadata = { ...out.metadata, annotations };
  } else if (spec.claimRef) spec.claimRef = { ...spec.claimRef, uid: '' };
  return out;
}
