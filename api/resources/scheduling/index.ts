// scheduling.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { priorityclasses } from './priorityclasses.ts';

export const schedulingResources: ResourceDescriptor[] = [priorityclasses];
