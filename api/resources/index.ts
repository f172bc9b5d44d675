// Every served resource. Each group's folder lists its own descriptors.
import type { ResourceDescriptor } from '../registry/descriptor.ts';
import { Registry } from '../registry/registry.ts';
import { coreResources } from './core/index.ts';
import { groupResources } from './groups.ts';

export const allResources: readonly ResourceDescriptor[] = [...coreResources, ...groupResources];

export function builtinRegistry(): Registry {
  return new Registry(allResources);
}
