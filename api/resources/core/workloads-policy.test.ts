import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicationcontrollers } from './replicationcontrollers.ts';
import { podtemplates } from './podtemplates.ts';
import { resourcequotas } from './resourcequotas.ts';
import { limitranges } from './limitranges.ts';
import { endpoints } from './endpoints.ts';
import { serviceaccounts } from './serviceaccounts.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const now = new Date('2024-01-01T00:00:45Z');
const ctx = { now, user: 'admin' };
const meta = { name: 'x', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' };

function rc(spec: Record<string, unknown>): KubeObject {
  const o: KubeObject = { metadata: { ...meta }, spec };
  replicationcontrollers.strategy.defaults(o);
  return o;
}

test('RC defaults: selector and labels from the template, one replica', () => {
  const o = rc({ template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } });
  assert.deepEqual((o.spec as any).selector, { app: 'web' });
  assert.deepEqual(o.metadata!.labels, { app: 'web' });
  assert.equal((o.spec as any).replicas, 1);
  assert.equal((o.spec as any).template.spec.restartPolicy, 'Always');
  assert.deepEqual(replicationcontrollers.strategy.validate(o), []);
  replicationcontrollers.strategy.prepareForCreate!(o, ctx);
  assert.equal(o.metadata!.generation, 1);
  assert.equal(replicationcontrollers.strategy.tracksGeneration, true);
});

test('RC validation', () => {
  const o = rc({ selector: { app: 'other' }, replicas: -1, template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'web', image: 'nginx' }] } } });
  assert.deepEqual(replicationcontrollers.strategy.validate(o).map((e) => `${e.field}: ${e.message}`), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
  assert.deepEqual(replicationcontrollers.strategy.validate({ metadata: { ...meta }, spec: {} }).map((e) => e.field), ['spec.selector', 'spec.template']);
});

test('RC printer, scale and field selector', () => {
  const o = rc({ replicas: 3, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } });
  o.status = { replicas: 2, readyReplicas: 1 };
  assert.deepEqual(replicationcontrollers.printerColumns.map((c) => c.cell(o, now)), [3, 2, 1, '45s', 'a,b', 'x,y', 'app=web,tier=fe']);
  const scale = replicationcontrollers.subresources.scale!;
  assert.equal(scale.labelSelector(o), 'app=web,tier=fe');
  assert.equal(replicationcontrollers.fieldSelectors['status.replicas']!(o), '2');
  o.status = { replicas: 1, readyReplicas: 2 };
  assert.deepEqual(replicationcontrollers.strategy.validateStatusUpdate!(o, o).map((e) => e.field), ['status.readyReplicas']);
});

test('pod templates', () => {
  const t: KubeObject = { metadata: { ...meta }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } };
  podtemplates.strategy.defaults(t);
  assert.deepEqual(podtemplates.strategy.validate(t), []);
  assert.deepEqual(podtemplates.printerColumns.map((c) => [c.name, c.cell(t, now)]), [['Containers', 'web'], ['Images', 'nginx'], ['Pod Labels', 'app=web']]);
  const bad: KubeObject = { metadata: { ...meta }, template: { spec: {} } };
  podtemplates.strategy.defaults(bad);
  assert.deepEqual(podtemplates.strategy.validate(bad).map((e) => e.field), ['template.spec.containers']);
});

test('resource quotas', () => {
  const q: KubeObject = { metadata: { ...meta }, spec: { hard: { pods: '10', 'requests.cpu': '1000m', 'limits.memory': '2048Mi', foo: '1' }, scopes: ['BestEffort', 'NotBestEffort'] } };
  resourcequotas.strategy.defaults(q);
  assert.deepEqual((q.spec as any).hard, { pods: '10', 'requests.cpu': '1', 'limits.memory': '2Gi', foo: '1' });
  assert.deepEqual(resourcequotas.strategy.validate(q).map((e) => `${e.field}: ${e.message}`), [
    'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
    'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota',
    'spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: unsupported scope applied to resource',
    'spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: unsupported scope applied to resource',
    'spec.scopes: Invalid value: ["BestEffort","NotBestEffort"]: conflicting scopes',
  ]);
  q.status = { hard: { pods: '10', 'requests.cpu': '1', 'limits.memory': '2Gi' }, used: { pods: '3', 'requests.cpu': '250m' } };
  assert.deepEqual(resourcequotas.printerColumns.map((c) => [c.name, c.cell(q, now)]), [
    ['Age', '45s'],
    ['Request', 'pods: 3/10, requests.cpu: 250m/1'],
    ['Limit', 'limits.memory: 0/2Gi'],
  ]);
});

test('limit ranges', () => {
  const l: KubeObject = { metadata: { ...meta }, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } };
  limitranges.strategy.defaults(l);
  assert.deepEqual((l.spec as any).limits[0], { type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' }, default: { cpu: '2' }, defaultRequest: { cpu: '2', memory: '64Mi' } });
  assert.deepEqual(limitranges.strategy.validate(l), []);
  const bad: KubeObject = { metadata: { ...meta }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }, { type: 'Pod', default: { cpu: '1' } }] } };
  assert.deepEqual(limitranges.strategy.validate(bad).map((e) => `${e.field}: ${e.message}`), [
    'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
  ]);
  assert.deepEqual(limitranges.printerColumns, []);
});

test('endpoints', () => {
  const e: KubeObject = {
    metadata: { ...meta },
    subsets: [
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }] },
      { notReadyAddresses: [{ ip: 'fd00::1' }] },
    ],
  };
  endpoints.strategy.defaults(e);
  assert.equal((e.subsets as any)[0].ports[0].protocol, 'TCP');
  assert.deepEqual(endpoints.strategy.validate(e), []);
  assert.deepEqual(endpoints.printerColumns.map((c) => c.cell(e, now)), ['10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...', '45s']);
  assert.equal(endpoints.printerColumns[0]!.cell({ metadata: {} }, now), '<none>');
  const bad: KubeObject = { metadata: { ...meta }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }, { port: 81 }] }, {}] };
  endpoints.strategy.defaults(bad);
  assert.deepEqual(endpoints.strategy.validate(bad).map((e2) => `${e2.field}: ${e2.message}`), [
    'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    'subsets[0].ports[0].name: Required value',
    'subsets[0].ports[1].name: Required value',
    'subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`',
  ]);
});

test('service accounts', () => {
  const sa: KubeObject = { metadata: { ...meta }, secrets: [{ name: 'a' }] };
  assert.deepEqual(serviceaccounts.printerColumns.map((c) => c.cell(sa, now)), [1, '45s']);
});
