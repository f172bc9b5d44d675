import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selfsubjectreviews } from './selfsubjectreviews.ts';

test('a SelfSubjectReview answers with the requesting user, as upstream', () => {
  const now = new Date('2025-01-02T03:04:05.678Z');
  const out = selfsubjectreviews.review!({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} }, { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] }, now);
  assert.deepEqual(out, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: '2025-01-02T03:04:05Z' },
    status: { userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } },
  });
  const anon = selfsubjectreviews.review!({}, { name: 'jane', groups: [], uid: 'u-1', extra: { scopes: ['a'] } }, now);
  assert.deepEqual((anon.status as { userInfo: unknown }).userInfo, { username: 'jane', uid: 'u-1', extra: { scopes: ['a'] } });
});

test('is create-only, cluster-scoped and never stored', () => {
  assert.deepEqual(selfsubjectreviews.verbs, ['create']);
  assert.equal(selfsubjectreviews.namespaced, false);
  assert.equal(typeof selfsubjectreviews.review, 'function');
});
