// rbac.authorization.k8s.io/v1 resources.
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { clusterrolebindings } from './clusterrolebindings.ts';
import { clusterroles } from './clusterroles.ts';
import { rolebindings } from './rolebindings.ts';
import { roles } from './roles.ts';

export const rbacResources: ResourceDescriptor[] = [clusterrolebindings, clusterroles, rolebindings, roles];
