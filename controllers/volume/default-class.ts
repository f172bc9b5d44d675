// The StorageClass a fresh cluster comes with (as kind's `standard`): local-path volumes, bound
// when the first pod using the claim is scheduled, deleted with their claim. Made when the
// controllers start, unless it exists or another class is the default already; a class the user
// deleted comes back only on the next start, as an addon manager's EnsureExists would do it.
import type { Api } from '../runtime/client.ts';
import { isAlreadyExists } from '../runtime/errors.ts';
import { LOCAL_PATH_PROVISIONER } from './provisioner.ts';
import { DEFAULT_CLASS_ANNOTATION, STORAGECLASSES, isDefaultClass, type StorageClass } from './volume.ts';

export const DEFAULT_CLASS_NAME = 'standard';

export function defaultStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_CLASS_NAME, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

async function ensureOnce(api: Pick<Api, 'list' | 'create'>): Promise<void> {
  const classes = (await api.list<StorageClass>(STORAGECLASSES, undefined)).items;
  if (classes.some((sc) => sc.metadata?.name === DEFAULT_CLASS_NAME || isDefaultClass(sc))) return;
  try {
    await api.create(STORAGECLASSES, undefined, defaultStorageClass());
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Creates `standard` when there is no such class and no default class (idempotent; a few tries). */
export async function ensureDefaultStorageClass(api: Pick<Api, 'list' | 'create'>, tries = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await ensureOnce(api);
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}
