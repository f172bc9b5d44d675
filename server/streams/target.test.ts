import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import { checkLogStatus, logContainer, streamContainer } from './target.ts';

const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec, status });
const two = pod({ nodeName: 'n1', initContainers: [{ name: 'init' }], containers: [{ name: 'a' }, { name: 'b' }] });
const badRequest = (message: string) => (err: unknown) => err instanceof ApiError && err.code === 400 && err.reason === 'BadRequest' && err.message === message;

test('pods/log: the only container by default, a named one checked, upstream messages otherwise', () => {
  assert.equal(logContainer(pod({ containers: [{ name: 'c' }] }), undefined), 'c');
  assert.equal(logContainer(two, 'init'), 'init');
  assert.throws(() => logContainer(two, undefined), badRequest('a container name must be specified for pod x, choose one of: [init a b]'));
  assert.throws(() => logContainer(two, 'z'), badRequest('container z is not valid for pod x'));
  assert.throws(() => logContainer(pod({ containers: [] }), undefined), badRequest('a container name must be specified for pod x'));
});

test('pods/exec and attach: the container and the node, upstream messages otherwise', () => {
  assert.deepEqual(streamContainer(two, 'b'), { container: 'b', nodeName: 'n1' });
  assert.throws(() => streamContainer(two, undefined), badRequest('a container name must be specified for pod x, choose one of: [a b] or one of the init containers: [init]'));
  assert.throws(() => streamContainer(pod({ containers: [{ name: 'c' }] }), undefined), badRequest('pod x does not have a host assigned'));
});

test("the kubelet's log status check, from the reported status", () => {
  const withStatus = (cs: Record<string, unknown>) => pod({ containers: [{ name: 'c' }] }, { containerStatuses: [{ name: 'c', ...cs }] });
  checkLogStatus(withStatus({ state: { running: {} } }), 'c', false);
  checkLogStatus(withStatus({ state: { terminated: { exitCode: 0 } } }), 'c', false);
  checkLogStatus(withStatus({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }), 'c', false);
  checkLogStatus(withStatus({ state: { running: {} }, lastState: { terminated: { exitCode: 1 } } }), 'c', true);
  assert.throws(() => checkLogStatus(pod({ containers: [{ name: 'c' }] }), 'c', false), badRequest('container "c" in pod "x" is waiting to start: ContainerCreating'));
  assert.throws(() => checkLogStatus(withStatus({ state: { waiting: { reason: 'ContainerCreating' } } }), 'c', false), badRequest('container "c" in pod "x" is waiting to start: ContainerCreating'));
  assert.throws(() => checkLogStatus(withStatus({ state: { waiting: { reason: 'ImagePullBackOff' } } }), 'c', false), badRequest('container "c" in pod "x" is waiting to start: trying and failing to pull image'));
  assert.throws(() => checkLogStatus(withStatus({ state: { waiting: { reason: 'ErrImagePull' } } }), 'c', false), badRequest(`container "c" in pod "x" is waiting to start: image can't be pulled`));
  assert.throws(() => checkLogStatus(withStatus({ state: {} }), 'c', false), badRequest('container "c" in pod "x" is waiting to start - no logs yet'));
  assert.throws(() => checkLogStatus(withStatus({ state: { running: {} } }), 'c', true), badRequest('previous terminated container "c" in pod "x" not found'));
});
