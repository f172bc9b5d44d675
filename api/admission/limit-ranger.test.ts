import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPodLimits, defaultPodLimits, LIMIT_RANGER_ANNOTATION } from './limit-ranger.ts';
import type { KubeObject } from '../registry/descriptor.ts';

function limitRange(name: string, limits: unknown[]): KubeObject {
  return { apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: 'ns' }, spec: { limits } };
}

function pod(containers: unknown[], initContainers?: unknown[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers, ...(initContainers ? { initContainers } : {}) } };
}

const memDefaults = limitRange('mem-limit-range', [{ type: 'Container', default: { memory: '512Mi' }, defaultRequest: { memory: '256Mi' } }]);

describe('LimitRanger admission', () => {
  it('defaults requests and limits and says so in the kubernetes.io/limit-ranger annotation', () => {
    const p = pod([{ name: 'default-mem-demo', image: 'nginx' }]);
    defaultPodLimits(p, [memDefaults]);
    assert.deepEqual((p.spec as any).containers[0].resources, { requests: { memory: '256Mi' }, limits: { memory: '512Mi' } });
    assert.equal(
      p.metadata!.annotations![LIMIT_RANGER_ANNOTATION],
      'LimitRanger plugin set: memory request for container default-mem-demo; memory limit for container default-mem-demo',
    );
  });

  it('names only what it set, sorted, containers before init containers', () => {
    const lr = limitRange('lr', [{ type: 'Container', default: { memory: '512Mi', cpu: '1' }, defaultRequest: { memory: '256Mi', cpu: '500m' } }]);
    const p = pod(
      [{ name: 'app', resources: { requests: { memory: '128Mi' }, limits: { memory: '1Gi', cpu: '2' } } }],
      [{ name: 'init' }],
    );
    defaultPodLimits(p, [lr]);
    assert.equal(
      p.metadata!.annotations![LIMIT_RANGER_ANNOTATION],
      'LimitRanger plugin set: cpu request for container app; cpu, memory request for init container init; cpu, memory limit for init container init',
    );
  });

  it('leaves the pod alone when it already sets everything', () => {
    const p = pod([{ name: 'c', resources: { requests: { memory: '1Gi' }, limits: { memory: '1Gi' } } }]);
    defaultPodLimits(p, [memDefaults]);
    assert.equal(p.metadata!.annotations, undefined);
  });

  it('refuses a container over max with 403 and upstream wording', () => {
    const lr = limitRange('cpu-min-max', [{ type: 'Container', max: { cpu: '800m' }, min: { cpu: '200m' } }]);
    const p = pod([{ name: 'c', resources: { requests: { cpu: '500m' }, limits: { cpu: '1500m' } } }]);
    assert.throws(() => checkPodLimits(p, [lr]), (e: any) => e.code === 403 && /maximum cpu usage per Container is 800m, but limit is 1500m/.test(e.message));
  });
});
