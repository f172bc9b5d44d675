// VolumeBinding's PreFilter: a pod whose claims are missing, lost, being deleted, or unbound
// while their class binds immediately (or there is no such class) fits no node until the claim
// or class changes, with upstream's reasons. Unbound claims of WaitForFirstConsumer classes
// pass: PreBind (../volume-binding.ts) selects their node. Generic ephemeral volumes are
// skipped: there is no ephemeral volume controller to create their claims yet.
import { unresolvable, type FilterPlugin, type Status } from '../framework.ts';
import { isDelayBinding, type PersistentVolumeClaim, type StorageClass } from '../../controllers/volume/volume.ts';
import type { Pod } from '../types.ts';

export const NAME = 'VolumeBinding';
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** What the plugin reads: the scheduler's PVC and StorageClass informer stores. */
export interface VolumeListers {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  storageClass(name: string): StorageClass | undefined;
}

/** The claims named by the pod's persistentVolumeClaim volumes. */
function namedClaims(pod: Pod): string[] {
  const volumes = (pod.spec as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined)?.volumes ?? [];
  return volumes.flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
}

/** podHasPVCs, then the unbound immediate claims check of upstream's PreFilter. */
export function volumeBindingPreFilter(pod: Pod, listers: VolumeListers): Status | undefined {
  const ns = pod.metadata?.namespace ?? '';
  const claims: PersistentVolumeClaim[] = [];
  for (const name of namedClaims(pod)) {
    const pvc = listers.claim(ns, name);
    if (!pvc) return unresolvable(`persistentvolumeclaim "${name}" not found`);
    if (pvc.status?.phase === 'Lost') return unresolvable(`persistentvolumeclaim "${name}" bound to non-existent persistentvolume "${pvc.spec?.volumeName ?? ''}"`);
    if (pvc.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
    claims.push(pvc);
  }
  const classOf = (n: string) => listers.storageClass(n);
  for (const pvc of claims) {
    if (pvc.spec?.volumeName) continue;
    if (!isDelayBinding(pvc, classOf)) return unresolvable(ERR_REASON_UNBOUND_IMMEDIATE);
  }
  return undefined;
}

export function volumeBindingPlugin(listers: VolumeListers): FilterPlugin {
  return {
    name: NAME,
    preFilter: (ctx) => volumeBindingPreFilter(ctx.pod, listers),
    // PV node affinity is not checked yet: every node fits once PreFilter passed.
    filter: () => undefined,
  };
}
