// policy/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { poddisruptionbudgets } from './poddisruptionbudgets.ts';

export const policyResources: ResourceDescriptor[] = [poddisruptionbudgets];
