// node.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { runtimeclasses } from './runtimeclasses.ts';

export const nodeResources: ResourceDescriptor[] = [runtimeclasses];
