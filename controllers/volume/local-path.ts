// The `k8ts.io/local-path` provisioner's shell, an external provisioner as CSI sidecars are:
// claims the binder handed to it (the storage-provisioner annotation) get a hostPath volume on
// their node, pre-bound to them, for the binder to finish; Released volumes it made whose policy
// is Delete are deleted. The directory itself belongs to the node: its agent creates it when a
// pod using the volume starts (hostPath DirectoryOrCreate) and a hollow node only pretends.
import type { Api } from '../runtime/client.ts';
import { Controller, type ReconcileResult } from '../runtime/controller.ts';
import { errorMessage, isAlreadyExists, isNotFound } from '../runtime/errors.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { KubeObject } from '../runtime/types.ts';
import { LOCAL_PATH_PROVISIONER, provisionDecision, shouldDelete } from './provisioner.ts';
import { PVS, claimKey, type PersistentVolume, type PersistentVolumeClaim, type StorageClass } from './volume.ts';

export const COMPONENT = LOCAL_PATH_PROVISIONER;
const CLAIM = 'claim:';
const VOLUME = 'volume:';
/** A claim that could not be provisioned is tried again this often (the library's back-off is longer). */
const RETRY_MS = 5_000;

export interface LocalPathProvisionerOptions {
  api: Api;
  volumes: Informer;
  claims: Informer;
  classes: Informer;
  nodes: Informer;
  recorder?: EventRecorder;
}

const noRecorder: EventRecorder = { event() {} };

export class LocalPathProvisioner {
  readonly controller: Controller;
  private readonly api: Api;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly classes: Informer<StorageClass>;
  private readonly nodes: Informer;
  private readonly recorder: EventRecorder;

  constructor(opts: LocalPathProvisionerOptions) {
    this.api = opts.api;
    this.volumes = opts.volumes as Informer<PersistentVolume>;
    this.claims = opts.claims as Informer<PersistentVolumeClaim>;
    this.classes = opts.classes as Informer<StorageClass>;
    this.nodes = opts.nodes;
    this.recorder = opts.recorder ?? noRecorder;
    this.controller = new Controller({ name: 'local-path-provisioner', reconcile: (key) => this.sync(key), workers: 2 });
    const claim = (c: KubeObject) => this.controller.enqueue(`${CLAIM}${claimKey(c)}`);
    const volume = (v: KubeObject) => this.controller.enqueue(`${VOLUME}${v.metadata?.name ?? ''}`);
    this.claims.addEventHandler({ add: claim, update: (_old, c) => claim(c) });
    this.volumes.addEventHandler({ add: volume, update: (_old, v) => volume(v) });
  }

  async sync(key: string): Promise<ReconcileResult | void> {
    if (key.startsWith(CLAIM)) {
      const [ns, name] = key.slice(CLAIM.length).split('/', 2) as [string, string];
      const claim = this.claims.store.getByName(ns, name);
      if (claim) return this.provision({ ...claim, apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
    } else if (key.startsWith(VOLUME)) {
      const volume = this.volumes.store.getByName(undefined, key.slice(VOLUME.length));
      if (volume && shouldDelete(volume)) await this.deleteVolume({ ...volume, apiVersion: 'v1', kind: 'PersistentVolume' });
    }
  }

  private async provision(claim: PersistentVolumeClaim): Promise<ReconcileResult | void> {
    const decision = provisionDecision(claim, {
      storageClass: (n) => this.classes.store.getByName(undefined, n),
      node: (n) => this.nodes.store.getByName(undefined, n),
      nodes: this.nodes.store.list(),
      volumeExists: (n) => !!this.volumes.store.getByName(undefined, n),
    });
    if (decision.kind === 'skip') return;
    if (decision.kind === 'fail') {
      this.recorder.event(claim, 'Warning', 'ProvisioningFailed', decision.message);
      return { requeueAfterMs: RETRY_MS };
    }
    this.recorder.event(claim, 'Normal', 'Provisioning', decision.events.provisioning);
    try {
      await this.api.create(PVS, undefined, decision.volume);
    } catch (err) {
      // Made by an earlier sync the volume informer has not caught up with: done already.
      if (isAlreadyExists(err)) return;
      this.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${decision.volume.spec?.storageClassName ?? ''}": ${errorMessage(err)}`);
      throw err;
    }
    this.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', decision.events.succeeded);
  }

  private async deleteVolume(volume: PersistentVolume): Promise<void> {
    try {
      await this.api.delete(PVS, undefined, volume.metadata!.name!, { preconditions: { uid: volume.metadata?.uid } });
    } catch (err) {
      if (isNotFound(err)) return;
      this.recorder.event(volume, 'Warning', 'VolumeFailedDelete', errorMessage(err));
      throw err;
    }
  }
}

export function localPathProvisioner(opts: LocalPathProvisionerOptions): Controller {
  return new LocalPathProvisioner(opts).controller;
}
