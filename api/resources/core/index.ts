// core/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { configmaps } from './configmaps.ts';
import { namespaces } from './namespaces.ts';
import { secrets } from './secrets.ts';

export const coreResources: ResourceDescriptor[] = [namespaces, configmaps, secrets];
