// autoscaling/v2 and autoscaling/v1 resources (v2 first: it is the preferred and stored version).
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { horizontalpodautoscalersV1, horizontalpodautoscalersV2 } from './horizontalpodautoscalers.ts';

export const autoscalingResources: ResourceDescriptor[] = [horizontalpodautoscalersV2, horizontalpodautoscalersV1];
