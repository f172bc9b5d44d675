// The set of served resources, looked up the ways clients address them.
import { apiVersionOf, type ResourceDescriptor } from './descriptor.ts';

export class Registry {
  private readonly byPath = new Map<string, ResourceDescriptor>();

  constructor(readonly descriptors: readonly ResourceDescriptor[]) {
    for (const d of descriptors) {
      const k = pathKey(d.group, d.version, d.plural);
      if (this.byPath.has(k)) throw new Error(`duplicate resource ${k}`);
      this.byPath.set(k, d);
    }
  }

  /** The resource at `/api(s)/<group>/<version>/<plural>`. */
  get(group: string, version: string, plural: string): ResourceDescriptor | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  /** The descriptor for an object's apiVersion and kind. */
  forKind(apiVersion: string, kind: string): ResourceDescriptor | undefined {
    return this.descriptors.find((d) => apiVersionOf(d) === apiVersion && d.kind === kind);
  }

  /** Served group/versions, core first, in a stable order. */
  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const d of this.descriptors) seen.set(apiVersionOf(d), { group: d.group, version: d.version });
    return [...seen.values()];
  }

  inGroupVersion(group: string, version: string): ResourceDescriptor[] {
    return this.descriptors.filter((d) => d.group === group && d.version === version);
  }

  /**
   * Every version serving the same stored resource, across groups where upstream shares
   * storage (core/v1 and events.k8s.io/v1 events): for conversion and watch fan-out.
   */
  versionsOf(d: ResourceDescriptor): ResourceDescriptor[] {
    return this.descriptors.filter((o) => o.storageResource === d.storageResource);
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}
