// core/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';

export const coreResources: ResourceDescriptor[] = [];
