// batch/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { cronjobs } from './cronjobs.ts';
import { jobs } from './jobs.ts';

export const batchResources: ResourceDescriptor[] = [cronjobs, jobs];
