// The `k8ts.io/local-path` provisioner's decisions (as an external provisioner built on
// sig-storage-lib-external-provisioner, modelled on rancher's local-path-provisioner): which
// claims it provisions, on which node, the PersistentVolume it creates (a hostPath directory
// under the node's local-path directory, pinned to that node), and which volumes it deletes.
// Pure: the shell (local-path.ts) does the API calls.
import { createHash } from 'node:crypto';
import { claimReference, requestedStorage } from './binder.ts';
import { formatQuantity } from '../../api/validation/quantity.ts';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_DYNAMICALLY_PROVISIONED,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  annotation,
  claimClass,
  claimKey,
  type PersistentVolume,
  type PersistentVolumeClaim,
  type StorageClass,
} from './volume.ts';
import type { KubeObject } from '../runtime/types.ts';

export const LOCAL_PATH_PROVISIONER = 'k8ts.io/local-path';
/** On nodes: the directory their agent keeps local-path volumes in (the agent's data dir). */
export const LOCAL_PATH_DIR_ANNOTATION = 'k8ts.io/local-path-dir';
/** Where volumes go on a node that does not say (rancher's is /opt/local-path-provisioner). */
export const DEFAULT_LOCAL_PATH_DIR = '/var/lib/k8ts/local-path';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const SUPPORTED_ACCESS_MODES = new Set(['ReadWriteOnce', 'ReadWriteOncePod']);

export interface ProvisionerView {
  storageClass(name: string): StorageClass | undefined;
  node(name: string): KubeObject | undefined;
  /** Candidates for claims of Immediate classes (no scheduler choice to follow). */
  nodes: KubeObject[];
  volumeExists(name: string): boolean;
}

export type ProvisionDecision =
  /** Not ours, not yet (waiting for the scheduler), or done already. */
  | { kind: 'skip' }
  /** A ProvisioningFailed event; retried later. */
  | { kind: 'fail'; message: string }
  | { kind: 'provision'; volume: PersistentVolume; events: { provisioning: string; succeeded: string } };

/** getProvisionedVolumeNameForClaim. */
export function provisionedVolumeName(claim: KubeObject): string {
  return `pvc-${claim.metadata?.uid ?? ''}`;
}

function isReadyNode(node: KubeObject): boolean {
  const st = node.status as { conditions?: { type?: string; status?: string }[] } | undefined;
  const unschedulable = (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
  return !unschedulable && (st?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A node for a claim nobody scheduled: a ready one, the same for the same claim (by its uid). */
export function pickNode(claim: KubeObject, nodes: KubeObject[]): KubeObject | undefined {
  const ready = nodes.filter(isReadyNode).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  if (ready.length === 0) return undefined;
  const h = createHash('sha256').update(claim.metadata?.uid ?? '').digest();
  return ready[h.readUInt32BE(0) % ready.length];
}

/** The provisioner the binder asked for on the claim. */
function requestedProvisioner(claim: KubeObject): string | undefined {
  return annotation(claim, ANN_STORAGE_PROVISIONER) ?? annotation(claim, ANN_BETA_STORAGE_PROVISIONER);
}

/** rancher's Provision checks: what a node-local directory cannot be. */
function unsupported(claim: PersistentVolumeClaim): string {
  if (claim.spec?.selector) return 'claim.Spec.Selector is not supported';
  if ((claim.spec?.accessModes ?? []).some((m) => !SUPPORTED_ACCESS_MODES.has(m))) return 'Only support ReadWriteOnce, ReadWriteOncePod access mode';
  if (claim.spec?.volumeMode === 'Block') return 'volumeMode Block is not supported';
  return '';
}

/** The directory of a volume on its node: `<dir>/<pv>_<namespace>_<claim>`. */
export function volumePath(node: KubeObject, pvName: string, claim: KubeObject): string {
  const base = (annotation(node, LOCAL_PATH_DIR_ANNOTATION) ?? DEFAULT_LOCAL_PATH_DIR).replace(/\/+$/, '');
  return `${base}/${[pvName, claim.metadata?.namespace ?? '', claim.metadata?.name ?? ''].join('_')}`;
}

/** The PersistentVolume for the claim on the node, pre-bound to the claim. */
export function buildVolume(claim: PersistentVolumeClaim, sc: StorageClass, node: KubeObject, provisioner: string): PersistentVolume {
  const name = provisionedVolumeName(claim);
  const hostname = node.metadata?.labels?.[HOSTNAME_LABEL] ?? node.metadata?.name ?? '';
  const spec: NonNullable<PersistentVolume['spec']> = {
    accessModes: [...(claim.spec?.accessModes ?? [])],
    capacity: { storage: formatQuantity(requestedStorage(claim)) },
    claimRef: claimReference(claim),
    hostPath: { path: volumePath(node, name, claim), type: 'DirectoryOrCreate' },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [hostname] }] }] } },
    persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
    storageClassName: claimClass(claim),
    volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
  };
  if (sc.mountOptions?.length) spec.mountOptions = [...sc.mountOptions];
  return { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name, annotations: { [ANN_DYNAMICALLY_PROVISIONED]: provisioner } }, spec };
}

/** shouldProvision + provisionClaimOperation of the provisioner library, for one claim. */
export function provisionDecision(claim: PersistentVolumeClaim, view: ProvisionerView, provisioner = LOCAL_PATH_PROVISIONER): ProvisionDecision {
  if (claim.spec?.volumeName) return { kind: 'skip' };
  if (requestedProvisioner(claim) !== provisioner) return { kind: 'skip' };
  const className = claimClass(claim);
  const sc = view.storageClass(className);
  if (!sc) return { kind: 'fail', message: `storageclass.storage.k8s.io "${className}" not found` };
  if (sc.provisioner !== provisioner) return { kind: 'skip' };
  const selected = annotation(claim, ANN_SELECTED_NODE);
  if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !selected) return { kind: 'skip' };
  const pvName = provisionedVolumeName(claim);
  if (view.volumeExists(pvName)) return { kind: 'skip' };
  let node: KubeObject | undefined;
  if (selected) {
    node = view.node(selected);
    if (!node) return { kind: 'fail', message: `failed to get target node: nodes "${selected}" not found` };
  } else {
    node = pickNode(claim, view.nodes);
    if (!node) return { kind: 'fail', message: `failed to provision volume with StorageClass "${className}": no ready node to place the volume on` };
  }
  const why = unsupported(claim);
  if (why) return { kind: 'fail', message: `failed to provision volume with StorageClass "${className}": ${why}` };
  return {
    kind: 'provision',
    volume: buildVolume(claim, sc, node, provisioner),
    events: { provisioning: `External provisioner is provisioning volume for claim "${claimKey(claim)}"`, succeeded: `Successfully provisioned volume ${pvName}` },
  };
}

/** shouldDelete: a Released volume this provisioner made, whose policy is Delete. */
export function shouldDelete(volume: PersistentVolume, provisioner = LOCAL_PATH_PROVISIONER): boolean {
  return (
    volume.status?.phase === 'Released' &&
    volume.spec?.persistentVolumeReclaimPolicy === 'Delete' &&
    annotation(volume, ANN_DYNAMICALLY_PROVISIONED) === provisioner &&
    !volume.metadata?.deletionTimestamp
  );
}
