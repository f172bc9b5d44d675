// Resources of the named API groups (apps, batch, ...), one folder per group.
import type { ResourceDescriptor } from '../registry/descriptor.ts';
import { appsResources } from './apps/index.ts';
import { authenticationResources } from './authentication/index.ts';
import { autoscalingResources } from './autoscaling/index.ts';
import { batchResources } from './batch/index.ts';
import { coordinationResources } from './coordination/index.ts';
import { discoveryResources } from './discovery/index.ts';
import { eventsResources } from './events/index.ts';
import { networkingResources } from './networking/index.ts';
import { nodeResources } from './node/index.ts';
import { policyResources } from './policy/index.ts';
import { rbacResources } from './rbac/index.ts';
import { schedulingResources } from './scheduling/index.ts';
import { storageResources } from './storage/index.ts';

/** In upstream's discovery order of groups (`kubectl api-versions`, `/apis`). */
export const groupResources: ResourceDescriptor[] = [
  ...appsResources,
  ...eventsResources,
  ...authenticationResources,
  ...autoscalingResources,
  ...batchResources,
  ...networkingResources,
  ...policyResources,
  ...rbacResources,
  ...storageResources,
  ...schedulingResources,
  ...coordinationResources,
  ...nodeResources,
  ...discoveryResources,
];
