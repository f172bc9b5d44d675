// authentication.k8s.io/v1 SelfSubjectReview (pkg/registry/authentication/selfsubjectreview):
// `kubectl auth whoami`. Create-only and never stored: the answer is the requesting user.
import type { KubeObject, ResourceDescriptor, ReviewUser } from '../../registry/descriptor.ts';
import { resource } from '../group-helpers/descriptor.ts';

/** What upstream's REST.Create returns: the user's name, uid, groups and extra. */
export function selfSubjectReview(user: ReviewUser, now: Date): KubeObject {
  const userInfo: Record<string, unknown> = { username: user.name };
  if (user.uid) userInfo.uid = user.uid;
  if (user.groups.length) userInfo.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = structuredClone(user.extra);
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') },
    status: { userInfo },
  };
}

export const selfsubjectreviews: ResourceDescriptor = resource({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  namespaced: false,
  verbs: ['create'],
  model: 'V1SelfSubjectReview',
  printerColumns: [],
  strategy: { tracksGeneration: false, defaults: () => {}, validate: () => [], validateUpdate: () => [] },
  storageResource: 'selfsubjectreviews',
  review: (_obj, user, now) => selfSubjectReview(user, now),
});
