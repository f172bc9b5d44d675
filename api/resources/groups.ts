// Resources of the named API groups (apps, batch, ...), one folder per group.
import type { ResourceDescriptor } from '../registry/descriptor.ts';

export const groupResources: ResourceDescriptor[] = [];
