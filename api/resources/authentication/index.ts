// authentication.k8s.io: the review APIs of authentication.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { selfsubjectreviews } from './selfsubjectreviews.ts';

export const authenticationResources: ResourceDescriptor[] = [selfsubjectreviews];
