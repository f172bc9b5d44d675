// The informer's cache: objects by key (namespace/name) with secondary indexes, like
// client-go's cache.Indexer (a ThreadSafeStore with Indexers). The `namespace` index is
// always there; controllers add their own (e.g. by owner uid).
import { objectKey, type KubeObject } from './types.ts';

export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';

export function namespaceIndexFunc(obj: KubeObject): string[] {
  return [obj.metadata?.namespace ?? ''];
}

export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexer(NAMESPACE_INDEX, namespaceIndexFunc);
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  /** Adds an index (existing items are indexed right away). */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) this.indexOne(index, fn, key, obj);
  }

  hasIndexer(name: string): boolean {
    return this.indexers.has(name);
  }

  private indexOne(index: Map<string, Set<string>>, fn: IndexFunc<T>, key: string, obj: T): void {
    for (const value of fn(obj)) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindexOne(index: Map<string, Set<string>>, fn: IndexFunc<T>, key: string, obj: T): void {
    for (const value of fn(obj)) {
      const keys = index.get(value);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) index.delete(value);
    }
  }

  keyOf(obj: T): string {
    return objectKey(obj);
  }

  /** Adds or replaces; returns the previous object under the key. */
  upsert(obj: T): T | undefined {
    const key = this.keyOf(obj);
    const old = this.items.get(key);
    if (old) for (const [name, fn] of this.indexers) this.unindexOne(this.indices.get(name)!, fn, key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.indexOne(this.indices.get(name)!, fn, key, obj);
    return old;
  }

  /** Removes by the object's key; returns what was stored. */
  remove(obj: T): T | undefined {
    return this.removeKey(this.keyOf(obj));
  }

  removeKey(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    for (const [name, fn] of this.indexers) this.unindexOne(this.indices.get(name)!, fn, key, old);
    this.items.delete(key);
    return old;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  byIndex(indexName: string, value: string): T[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index ${indexName} does not exist`);
    return [...(index.get(value) ?? [])].map((k) => this.items.get(k)!);
  }

  listByNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }
}

export interface Delta<T> {
  type: 'add' | 'update' | 'delete';
  obj: T;
  old?: T;
}

/**
 * What a relist changes (client-go's Replace on a DeltaFIFO + the informer's handling):
 * new keys are adds, keys gone are deletes (with the last known object), keys whose
 * resourceVersion changed are updates, a key whose uid changed (deleted and created again
 * while not watching) is a delete and an add. Deletes of vanished keys come first.
 */
export function replaceDeltas<T extends KubeObject>(current: Indexer<T>, items: T[]): Delta<T>[] {
  const fresh = new Map<string, T>();
  for (const it of items) fresh.set(objectKey(it), it);
  const out: Delta<T>[] = [];
  for (const key of current.keys()) {
    if (!fresh.has(key)) out.push({ type: 'delete', obj: current.get(key)! });
  }
  for (const [key, obj] of fresh) {
    const old = current.get(key);
    if (!old) out.push({ type: 'add', obj });
    else if (old.metadata?.uid !== obj.metadata?.uid) out.push({ type: 'delete', obj: old }, { type: 'add', obj });
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) out.push({ type: 'update', obj, old });
  }
  return out;
}
