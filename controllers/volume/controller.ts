// The persistentvolume controller's shell (upstream PersistentVolumeController, the binder):
// informers on claims, volumes, StorageClasses, nodes and pods feed one queue of claim and
// volume keys with a single worker (binding is not reentrant upstream either); each key is
// planned by sync.ts and carried out here: the volume is saved before the claim, spec before
// status, so an interrupted binding is finished by the next sync. Claims and volumes resync every
// 15 s, as upstream's --pvclaimbinder-sync-period.
import type { Api } from '../runtime/client.ts';
import { Controller } from '../runtime/controller.ts';
import { ensureIndex } from '../runtime/controller-ref.ts';
import { isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { isPodActive, type Pod } from '../runtime/pods.ts';
import type { KubeObject } from '../runtime/types.ts';
import { bindClaimToVolume, bindVolumeToClaim, claimStatusFor } from './binder.ts';
import { planClaim, planVolume, reclaimFailure, unboundVolume, type ClaimView, type RecordedEvent } from './sync.ts';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_STORAGE_PROVISIONER,
  PVCS,
  PVS,
  annotation,
  claimHasClass,
  claimKey,
  defaultClass,
  isDefaultClass,
  podClaimNames,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from './volume.ts';

export const COMPONENT = 'persistentvolume-controller';
const POD_PVC_INDEX = 'pod-pvc';
const CLAIM = 'claim:';
const VOLUME = 'volume:';

export interface PersistentVolumeControllerOptions {
  api: Api;
  volumes: Informer;
  claims: Informer;
  classes: Informer;
  nodes: Informer;
  pods: Informer;
  recorder?: EventRecorder;
  /** Default 15 s. */
  resyncMs?: number;
}

const noRecorder: EventRecorder = { event() {} };

function typedClaim(c: PersistentVolumeClaim): PersistentVolumeClaim {
  return { ...c, apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
}

function typedVolume(v: PersistentVolume): PersistentVolume {
  return { ...v, apiVersion: 'v1', kind: 'PersistentVolume' };
}

export class PersistentVolumeController {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly classes: Informer<StorageClass>;
  private readonly nodes: Informer;
  private readonly pods: Informer<Pod>;
  private readonly recorder: EventRecorder;

  constructor(opts: PersistentVolumeControllerOptions) {
    this.api = opts.api;
    this.volumes = opts.volumes as Informer<PersistentVolume>;
    this.claims = opts.claims as Informer<PersistentVolumeClaim>;
    this.classes = opts.classes as Informer<StorageClass>;
    this.nodes = opts.nodes;
    this.pods = opts.pods as Informer<Pod>;
    this.recorder = opts.recorder ?? noRecorder;
    this.controller = new Controller({ name: COMPONENT, reconcile: (key) => this.sync(key) });
    const resync = opts.resyncMs ?? 15_000;
    ensureIndex(this.pods.store, POD_PVC_INDEX, (pod) => podClaimNames(pod).map((n) => `${pod.metadata?.namespace ?? ''}/${n}`));

    this.claims.addEventHandler(
      {
        add: (c) => this.enqueueClaim(c),
        update: (_old, c) => this.enqueueClaim(c),
        delete: (c) => this.claimDeleted(c),
      },
      resync,
    );
    this.volumes.addEventHandler(
      {
        add: (v) => this.enqueueVolume(v),
        update: (_old, v) => this.enqueueVolume(v),
        delete: (v) => {
          // Its claim becomes Lost.
          const ref = v.spec?.claimRef;
          if (ref?.name) this.controller.enqueue(`${CLAIM}${ref.namespace ?? ''}/${ref.name}`);
        },
      },
      resync,
    );
    // A default class appearing gives the claims that asked for none a class (retroactively).
    const classChanged = (sc: StorageClass) => {
      if (!isDefaultClass(sc)) return;
      for (const c of this.claims.store.list()) if (!c.spec?.volumeName && !claimHasClass(c)) this.enqueueClaim(c);
    };
    this.classes.addEventHandler({ add: classChanged, update: (_old, sc) => classChanged(sc) });
  }

  private enqueueClaim(c: KubeObject): void {
    this.controller.enqueue(`${CLAIM}${claimKey(c)}`);
  }

  private enqueueVolume(v: KubeObject): void {
    this.controller.enqueue(`${VOLUME}${v.metadata?.name ?? ''}`);
  }

  /** Its volume (and any volume provisioned for it) is released now. */
  private claimDeleted(c: PersistentVolumeClaim): void {
    if (c.spec?.volumeName) this.controller.enqueue(`${VOLUME}${c.spec.volumeName}`);
    for (const v of this.volumes.store.list()) {
      const ref = v.spec?.claimRef;
      if (ref?.uid && ref.uid === c.metadata?.uid) this.enqueueVolume(v);
    }
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith(CLAIM)) {
      const [namespace, name] = key.slice(CLAIM.length).split('/', 2) as [string, string];
      const claim = this.claims.store.getByName(namespace, name);
      if (claim) await this.syncClaim(typedClaim(structuredClone(claim)));
    } else if (key.startsWith(VOLUME)) {
      const volume = this.volumes.store.getByName(undefined, key.slice(VOLUME.length));
      if (volume) await this.syncVolume(typedVolume(structuredClone(volume)));
    }
  }

  private view(claim: PersistentVolumeClaim): ClaimView {
    const unscheduled = this.pods.store
      .byIndex(POD_PVC_INDEX, claimKey(claim))
      .filter((p) => !p.spec?.nodeName && isPodActive(p))
      .map((p) => p.metadata?.name ?? '');
    return {
      volumes: this.volumes.store.list(),
      volume: (name) => this.volumes.store.getByName(undefined, name),
      storageClass: (name) => this.classes.store.getByName(undefined, name),
      defaultClass: defaultClass(this.classes.store.list()),
      node: (name) => this.nodes.store.getByName(undefined, name),
      unscheduledPods: unscheduled.sort(),
    };
  }

  private event(obj: KubeObject, e: RecordedEvent): void {
    this.recorder.event(obj, e.type, e.reason, e.message);
  }

  private async syncClaim(claim: PersistentVolumeClaim): Promise<void> {
    const plan = planClaim(claim, this.view(claim));
    const ns = claim.metadata?.namespace;
    switch (plan.kind) {
      case 'assignClass':
        await this.api.update(PVCS, ns, { ...claim, spec: { ...claim.spec, storageClassName: plan.className } });
        return;
      case 'bind':
        await this.bind(typedVolume(structuredClone(plan.volume)), claim);
        return;
      case 'provision': {
        let cur = claim;
        if (annotation(claim, ANN_BETA_STORAGE_PROVISIONER) !== plan.provisioner) {
          const annotations = { ...(claim.metadata?.annotations ?? {}), [ANN_BETA_STORAGE_PROVISIONER]: plan.provisioner, [ANN_STORAGE_PROVISIONER]: plan.provisioner };
          cur = typedClaim(await this.api.update<PersistentVolumeClaim>(PVCS, ns, { ...claim, metadata: { ...claim.metadata, annotations } }));
        }
        this.event(cur, plan.event);
        return;
      }
      case 'pending':
        if (plan.event) this.event(claim, plan.event);
        await this.updateClaimStatus(claim, 'Pending', undefined);
        return;
      case 'lost':
        if (claim.status?.phase === 'Lost') return;
        this.event(await this.updateClaimStatus(claim, 'Lost', undefined), plan.event);
        return;
      case 'event':
        this.event(claim, plan.event);
        return;
    }
  }

  /** bind: volume spec, volume phase, claim spec, claim status; each from the previous write's result. */
  private async bind(volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    let v = volume;
    const bv = bindVolumeToClaim(v, claim);
    if (bv.dirty) v = typedVolume(await this.api.update<PersistentVolume>(PVS, undefined, bv.volume));
    v = await this.updateVolumePhase(v, 'Bound');
    let c = claim;
    const bc = bindClaimToVolume(c, v);
    if (bc.dirty) c = typedClaim(await this.api.update<PersistentVolumeClaim>(PVCS, c.metadata?.namespace, bc.claim));
    await this.updateClaimStatus(c, 'Bound', v);
  }

  private async updateClaimStatus(claim: PersistentVolumeClaim, phase: string, volume: PersistentVolume | undefined): Promise<PersistentVolumeClaim> {
    const status = claimStatusFor(claim, phase, volume);
    if (!status) return claim;
    return typedClaim(await this.api.update<PersistentVolumeClaim>(PVCS, claim.metadata?.namespace, { ...claim, status }, 'status'));
  }

  private async updateVolumePhase(volume: PersistentVolume, phase: string, message = ''): Promise<PersistentVolume> {
    if (volume.status?.phase === phase) return volume;
    const status = { ...(volume.status ?? {}), phase };
    if (message) status.message = message;
    else delete status.message;
    return typedVolume(await this.api.update<PersistentVolume>(PVS, undefined, { ...volume, status }, 'status'));
  }

  /** The claim a bound volume points at, double-checked with the API server before the volume is released. */
  private async claimOf(volume: PersistentVolume): Promise<PersistentVolumeClaim | undefined> {
    const ref = volume.spec!.claimRef!;
    let claim = this.claims.store.getByName(ref.namespace, ref.name ?? '');
    const phase = volume.status?.phase;
    const settled = phase === 'Released' || phase === 'Failed';
    if ((!claim && !settled) || (claim && claim.metadata?.uid !== ref.uid)) {
      try {
        claim = await this.api.get<PersistentVolumeClaim>(PVCS, ref.namespace, ref.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        claim = undefined;
      }
    }
    return claim && claim.metadata?.uid === ref.uid ? typedClaim(claim) : undefined;
  }

  private async syncVolume(volume: PersistentVolume): Promise<void> {
    const ref = volume.spec?.claimRef;
    const claim = ref?.uid ? await this.claimOf(volume) : undefined;
    const plan = planVolume(volume, claim);
    switch (plan.kind) {
      case 'phase':
        await this.updateVolumePhase(volume, plan.phase);
        return;
      case 'release': {
        let v = volume;
        if (v.status?.phase !== 'Released' && v.status?.phase !== 'Failed') v = await this.updateVolumePhase(v, 'Released');
        const failure = reclaimFailure(v);
        if (failure && v.status?.phase !== 'Failed') {
          v = await this.updateVolumePhase(v, 'Failed', failure.message);
          this.recorder.event(v, 'Warning', failure.reason, failure.message);
        }
        return;
      }
      case 'syncClaim':
        if (plan.events && claim) {
          this.event(volume, plan.events.volume);
          this.event(claim, plan.events.claim);
          return;
        }
        if (claim) this.enqueueClaim(claim);
        return;
      case 'unbind': {
        const v = typedVolume(await this.api.update<PersistentVolume>(PVS, undefined, unboundVolume(volume)));
        await this.updateVolumePhase(v, 'Available');
        return;
      }
    }
  }
}

export function persistentVolumeController(opts: PersistentVolumeControllerOptions): Controller {
  return new PersistentVolumeController(opts).controller;
}
