// storage.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { storageclasses } from './storageclasses.ts';

export const storageResources: ResourceDescriptor[] = [storageclasses];
