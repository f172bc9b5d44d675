import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quotaStatus, statusUpToDate, trackedResources } from './quota.ts';
import type { KubeObject } from '../runtime/types.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function pod(name: string, containers: { requests?: Record<string, string>; limits?: Record<string, string> }[], extra: Record<string, unknown> = {}, status: Record<string, unknown> = { phase: 'Running' }): KubeObject {
  return {
    metadata: { name, namespace: 'ns' },
    spec: { containers: containers.map((r, i) => ({ name: `c${i}`, resources: r })), ...extra },
    status,
  };
}

function quota(hard: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'q', namespace: 'ns' }, spec: { hard, ...spec } };
}

const objects = (m: Record<string, KubeObject[]>) => new Map(Object.entries(m));

describe('quota usage', () => {
  it('sums pod counts, requests and limits of live pods', () => {
    const pods = [
      pod('a', [{ requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } }, { requests: { cpu: '400m' }, limits: { cpu: '1' } }]),
      pod('b', [{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } }]),
      pod('done', [{ requests: { cpu: '8' } }], {}, { phase: 'Succeeded' }),
    ];
    const q = quota({ pods: '10', 'count/pods': '10', 'requests.cpu': '4', 'requests.memory': '4Gi', 'limits.cpu': '4', 'limits.memory': '4Gi', cpu: '4' });
    assert.deepEqual(quotaStatus(q, objects({ pods }), NOW).used, {
      'count/pods': '3',
      cpu: '1',
      'limits.cpu': '1700m',
      'limits.memory': '1152Mi',
      pods: '2',
      'requests.cpu': '1',
      'requests.memory': '1088Mi',
    });
  });

  it('counts init containers as upstream: the larger of the main containers and each init step', () => {
    const p = pod('p', [{ requests: { cpu: '100m' } }], { initContainers: [{ name: 'init', resources: { requests: { cpu: '2' } } }] });
    const sidecar = pod('s', [{ requests: { cpu: '100m' } }], { initContainers: [{ name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '300m' } } }] });
    assert.equal(quotaStatus(quota({ 'requests.cpu': '10' }), objects({ pods: [p] }), NOW).used['requests.cpu'], '2');
    assert.equal(quotaStatus(quota({ 'requests.cpu': '10' }), objects({ pods: [sidecar] }), NOW).used['requests.cpu'], '400m');
  });

  it('does not charge pods past their deletion grace period', () => {
    const stuck = pod('stuck', [{ requests: { cpu: '1' } }]);
    stuck.metadata = { ...stuck.metadata, deletionTimestamp: '2024-05-01T11:00:00Z', deletionGracePeriodSeconds: 30 };
    const leaving = pod('leaving', [{ requests: { cpu: '1' } }]);
    leaving.metadata = { ...leaving.metadata, deletionTimestamp: '2024-05-01T11:59:50Z', deletionGracePeriodSeconds: 30 };
    assert.deepEqual(quotaStatus(quota({ pods: '5' }), objects({ pods: [stuck, leaving] }), NOW).used, { pods: '1' });
  });

  it('applies scopes to pods', () => {
    const best = pod('best', [{}]);
    const burst = pod('burst', [{ requests: { cpu: '1' } }]);
    const job = pod('job', [{}], { activeDeadlineSeconds: 60 });
    const prio = pod('prio', [{}], { priorityClassName: 'high' });
    const all = objects({ pods: [best, burst, job, prio] });
    assert.equal(quotaStatus(quota({ pods: '9' }, { scopes: ['BestEffort'] }), all, NOW).used.pods, '3');
    assert.equal(quotaStatus(quota({ pods: '9' }, { scopes: ['NotBestEffort'] }), all, NOW).used.pods, '1');
    assert.equal(quotaStatus(quota({ pods: '9' }, { scopes: ['Terminating'] }), all, NOW).used.pods, '1');
    const sel = { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } };
    assert.equal(quotaStatus(quota({ pods: '9' }, sel), all, NOW).used.pods, '1');
  });

  it('counts services by type, claims by storage (also per class), and other objects', () => {
    const services = [
      { metadata: { name: 'a' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } },
      { metadata: { name: 'b' }, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 443 }] } },
      { metadata: { name: 'c' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
    ];
    const claims = [
      { metadata: { name: 'x' }, spec: { storageClassName: 'gold', resources: { requests: { storage: '1Gi' } } } },
      { metadata: { name: 'y' }, spec: { storageClassName: 'standard', resources: { requests: { storage: '500Mi' } } }, status: { allocatedResources: { storage: '2Gi' } } },
    ];
    const q = quota({
      services: '10',
      'services.nodeports': '10',
      'services.loadbalancers': '10',
      persistentvolumeclaims: '10',
      'requests.storage': '10Gi',
      'gold.storageclass.storage.k8s.io/requests.storage': '5Gi',
      configmaps: '10',
      'count/deployments.apps': '10',
      secrets: '10',
    });
    const st = quotaStatus(q, objects({ services, persistentvolumeclaims: claims, configmaps: [{}, {}], 'deployments.apps': [{}], secrets: [] }), NOW);
    assert.deepEqual(st.used, {
      configmaps: '2',
      'count/deployments.apps': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '1Gi',
      persistentvolumeclaims: '2',
      'requests.storage': '3Gi',
      secrets: '0',
      services: '3',
      'services.loadbalancers': '1',
      'services.nodeports': '3',
    });
    assert.deepEqual(st.hard, (q.spec as { hard: object }).hard);
    assert.deepEqual(
      trackedResources(q).map((t) => t.gr.resource).sort(),
      ['configmaps', 'deployments', 'persistentvolumeclaims', 'secrets', 'services'],
    );
  });

  it('leaves out resources that could not be listed, and knows when the status is current', () => {
    const q = quota({ pods: '3', 'count/widgets.example.com': '2' });
    const st = quotaStatus(q, objects({ pods: [] }), NOW);
    assert.deepEqual(st, { hard: { 'count/widgets.example.com': '2', pods: '3' }, used: { pods: '0' } });
    assert.equal(statusUpToDate({ ...q, status: { hard: { pods: '3', 'count/widgets.example.com': '2' }, used: { pods: '0' } } }, st), true);
    assert.equal(statusUpToDate({ ...q, status: { hard: { pods: '3' }, used: { pods: '0' } } }, st), false);
  });
});
