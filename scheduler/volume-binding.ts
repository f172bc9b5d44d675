// The PreBind half of upstream's VolumeBinding plugin, minimal: before a pod is bound to its
// node, each unbound claim it uses whose class binds on first consumer is told the node
// (volume.kubernetes.io/selected-node), which the persistentvolume controller and the class's
// provisioner act on; then the binding waits until every claim is bound, so a pod never lands on
// a node before its volumes exist. (The Filter half, PV node affinity, is not here yet.)
import type { Api } from '../controllers/runtime/client.ts';
import { errorMessage, isNotFound } from '../controllers/runtime/errors.ts';
import { ANN_SELECTED_NODE, PVCS, STORAGECLASSES, podClaimNames, type PersistentVolumeClaim, type StorageClass } from '../controllers/volume/volume.ts';
import type { Pod } from './types.ts';

/** A failure of this step, reported as upstream's scheduler reports PreBind failures. */
export class PreBindError extends Error {
  constructor(message: string) {
    super(`running PreBind plugin "VolumeBinding": ${message}`);
    this.name = 'PreBindError';
  }
}

export interface BindVolumesOptions {
  /** How long to wait for the claims to be bound (upstream's bind timeout is 600 s). */
  timeoutMs?: number;
  pollMs?: number;
  /** Give up early (the scheduler stops, the pod went away). */
  cancelled?: () => boolean;
}

async function getClaim(api: Api, namespace: string | undefined, name: string): Promise<PersistentVolumeClaim> {
  try {
    return await api.get<PersistentVolumeClaim>(PVCS, namespace, name);
  } catch (err) {
    if (isNotFound(err)) throw new PreBindError(`persistentvolumeclaim "${name}" not found`);
    throw err;
  }
}

async function bindsOnFirstConsumer(api: Api, className: string | null | undefined): Promise<boolean> {
  if (!className) return false;
  try {
    const sc = await api.get<StorageClass>(STORAGECLASSES, undefined, className);
    return sc.volumeBindingMode === 'WaitForFirstConsumer';
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Selects the node for the pod's delayed claims, then waits until all its claims are bound. */
export async function bindPodVolumes(api: Api, pod: Pod, node: string, opts: BindVolumesOptions = {}): Promise<void> {
  const names = podClaimNames(pod);
  if (names.length === 0) return;
  const ns = pod.metadata?.namespace;
  try {
    let unbound: string[] = [];
    for (const name of names) {
      const claim = await getClaim(api, ns, name);
      if (claim.spec?.volumeName) continue;
      if (claim.metadata?.annotations?.[ANN_SELECTED_NODE] !== node && (await bindsOnFirstConsumer(api, claim.spec?.storageClassName))) {
        await api.patch(PVCS, ns, name, { metadata: { annotations: { [ANN_SELECTED_NODE]: node } } }, 'merge');
      }
      unbound.push(name);
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    while (unbound.length) {
      if (opts.cancelled?.()) throw new PreBindError('binding volumes: cancelled');
      if (Date.now() > deadline) throw new PreBindError('binding volumes: timed out waiting for the condition');
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
      const still: string[] = [];
      for (const name of unbound) if (!(await getClaim(api, ns, name)).spec?.volumeName) still.push(name);
      unbound = still;
    }
  } catch (err) {
    if (err instanceof PreBindError) throw err;
    throw new PreBindError(`binding volumes: ${errorMessage(err)}`);
  }
}
