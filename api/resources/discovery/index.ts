// discovery.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { endpointslices } from './endpointslices.ts';

export const discoveryResources: ResourceDescriptor[] = [endpointslices];
