// coordination.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { leases } from './leases.ts';

export const coordinationResources: ResourceDescriptor[] = [leases];
