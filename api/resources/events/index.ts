// events.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { eventsV1 } from './events.ts';

export const eventsResources: ResourceDescriptor[] = [eventsV1];
