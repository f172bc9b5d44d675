// networking.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { ingressclasses } from './ingressclasses.ts';
import { ingresses } from './ingresses.ts';
import { networkpolicies } from './networkpolicies.ts';

export const networkingResources: ResourceDescriptor[] = [ingressclasses, ingresses, networkpolicies];
