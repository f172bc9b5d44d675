// apps/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { controllerrevisions } from './controllerrevisions.ts';
import { daemonsets } from './daemonsets.ts';
import { deployments } from './deployments.ts';
import { replicasets } from './replicasets.ts';
import { statefulsets } from './statefulsets.ts';

export const appsResources: ResourceDescriptor[] = [controllerrevisions, daemonsets, deployments, replicasets, statefulsets];
