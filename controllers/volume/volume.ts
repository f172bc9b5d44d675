// What the volume controllers share: the resources, upstream's annotations
// (k8s.io/component-helpers/storage/volume), the wire shapes of PersistentVolumes, claims and
// StorageClasses, and the small helpers over them (class of a claim or volume, delayed binding).
import type { ResourceRef } from '../runtime/client.ts';
import type { KubeObject } from '../runtime/types.ts';
import type { LabelSelector } from '../runtime/selector.ts';

export const PVS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumes', namespaced: false, kind: 'PersistentVolume' };
export const PVCS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true, kind: 'PersistentVolumeClaim' };
export const STORAGECLASSES: ResourceRef = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', namespaced: false, kind: 'StorageClass' };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };

/** On claims: the binding finished at least once. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** On claims and volumes: the controller (not the user) made the binding. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** On volumes: the provisioner that created it. */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** On claims: which provisioner should provision it (both spellings are set). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** On claims: the node the scheduler chose for the first pod using it (WaitForFirstConsumer). */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
export const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

export interface ObjectRef {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface PersistentVolume extends KubeObject {
  spec?: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: ObjectRef | null;
    persistentVolumeReclaimPolicy?: string;
    storageClassName?: string;
    volumeMode?: string;
    nodeAffinity?: unknown;
    [k: string]: unknown;
  };
  status?: { phase?: string; message?: string; reason?: string; [k: string]: unknown };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec?: {
    accessModes?: string[];
    selector?: LabelSelector | null;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    volumeName?: string;
    storageClassName?: string | null;
    volumeMode?: string;
    dataSource?: unknown;
    [k: string]: unknown;
  };
  status?: { phase?: string; accessModes?: string[]; capacity?: Record<string, string>; [k: string]: unknown };
}

export interface StorageClass extends KubeObject {
  provisioner?: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  mountOptions?: string[];
  allowedTopologies?: unknown;
}

export function annotation(obj: KubeObject, key: string): string | undefined {
  return obj.metadata?.annotations?.[key];
}

export function hasAnnotation(obj: KubeObject, key: string): boolean {
  return annotation(obj, key) !== undefined;
}

/** `namespace/name` of a claim (claimToClaimKey). */
export function claimKey(claim: KubeObject): string {
  return `${claim.metadata?.namespace ?? ''}/${claim.metadata?.name ?? ''}`;
}

/** GetPersistentVolumeClaimClass: the beta annotation, else the field, else ''. */
export function claimClass(claim: PersistentVolumeClaim): string {
  return annotation(claim, BETA_CLASS_ANNOTATION) ?? claim.spec?.storageClassName ?? '';
}

/** PersistentVolumeClaimHasClass: a class was asked for (even ""). */
export function claimHasClass(claim: PersistentVolumeClaim): boolean {
  return hasAnnotation(claim, BETA_CLASS_ANNOTATION) || typeof claim.spec?.storageClassName === 'string';
}

/** GetPersistentVolumeClass. */
export function volumeClass(volume: PersistentVolume): string {
  return annotation(volume, BETA_CLASS_ANNOTATION) ?? volume.spec?.storageClassName ?? '';
}

export function isDefaultClass(sc: KubeObject): boolean {
  return annotation(sc, DEFAULT_CLASS_ANNOTATION) === 'true' || annotation(sc, BETA_DEFAULT_CLASS_ANNOTATION) === 'true';
}

/** util.GetDefaultClass: the newest default class (then the first by name). */
export function defaultClass(classes: StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const d = (Date.parse(b.metadata?.creationTimestamp ?? '') || 0) - (Date.parse(a.metadata?.creationTimestamp ?? '') || 0);
    return d !== 0 ? d : (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
  return defaults[0];
}

/** IsDelayBindingMode: the claim's class binds on first consumer. */
export function isDelayBinding(claim: PersistentVolumeClaim, classOf: (name: string) => StorageClass | undefined): boolean {
  const name = claimClass(claim);
  return name !== '' && classOf(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** The claims a pod's volumes use: named ones, and generic ephemeral ones (`<pod>-<volume>`). */
export function podClaimNames(pod: KubeObject): string[] {
  const volumes = (pod.spec as { volumes?: { name?: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown }[] } | undefined)?.volumes ?? [];
  const out: string[] = [];
  for (const v of volumes) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata?.name ?? ''}-${v.name ?? ''}`);
  }
  return out;
}
