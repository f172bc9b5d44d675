// Where objects live in the store, as upstream lays out etcd:
// `/registry/<storageResource>/<namespace>/<name>` and `/registry/<storageResource>/<name>`.
export const REGISTRY_PREFIX = '/registry/';

/** The prefix of every object of a stored resource (with a trailing slash). */
export function resourcePrefix(storageResource: string): string {
  return `${REGISTRY_PREFIX}${storageResource}/`;
}

/** The prefix of a namespace's objects of a namespaced resource, or of all of them. */
export function listPrefix(storageResource: string, namespace?: string): string {
  return namespace ? `${resourcePrefix(storageResource)}${namespace}/` : resourcePrefix(storageResource);
}

export function objectKey(storageResource: string, namespace: string | undefined, name: string): string {
  return namespace ? `${resourcePrefix(storageResource)}${namespace}/${name}` : `${resourcePrefix(storageResource)}${name}`;
}
