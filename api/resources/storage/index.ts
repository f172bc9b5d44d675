// storage.k8s.io/v1 resources, in upstream's discovery order (by name).
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { csidrivers } from './csidrivers.ts';
import { csinodes } from './csinodes.ts';
import { csistoragecapacities } from './csistoragecapacities.ts';
import { storageclasses } from './storageclasses.ts';
import { volumeattachments } from './volumeattachments.ts';

export const storageResources: ResourceDescriptor[] = [csidrivers, csinodes, csistoragecapacities, storageclasses, volumeattachments];
