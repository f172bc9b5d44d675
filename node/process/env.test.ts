import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerEnv, expand, resourceFieldValue, serviceEnvSources, serviceVariables } from './env.ts';

const pod = (extra: Record<string, any> = {}) => ({
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'default', containers: [{ name: 'c', resources: { limits: { cpu: '250m', memory: '64Mi' } } }] },
  status: { podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], hostIP: '192.168.0.2' },
  ...extra,
});
const none = { configMaps: new Map(), secrets: new Map(), services: [] };

test('service variables: host, ports (named too) and Docker links; none for headless services', () => {
  const svc = { metadata: { name: 'my-db', namespace: 'shop' }, spec: { clusterIP: '10.96.0.9', ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } };
  assert.deepEqual(Object.fromEntries(serviceVariables(svc)), {
    MY_DB_SERVICE_HOST: '10.96.0.9',
    MY_DB_SERVICE_PORT: '5432',
    MY_DB_SERVICE_PORT_SQL: '5432',
    MY_DB_PORT: 'tcp://10.96.0.9:5432',
    MY_DB_PORT_5432_TCP: 'tcp://10.96.0.9:5432',
    MY_DB_PORT_5432_TCP_PROTO: 'tcp',
    MY_DB_PORT_5432_TCP_PORT: '5432',
    MY_DB_PORT_5432_TCP_ADDR: '10.96.0.9',
    MY_DB_PORT_53_UDP: 'udp://10.96.0.9:53',
    MY_DB_PORT_53_UDP_PROTO: 'udp',
    MY_DB_PORT_53_UDP_PORT: '53',
    MY_DB_PORT_53_UDP_ADDR: '10.96.0.9',
  });
  assert.deepEqual(serviceVariables({ metadata: { name: 'h' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } }), []);
});

test('service sources: the namespace with links, always default/kubernetes', () => {
  const k = { metadata: { name: 'kubernetes', namespace: 'default' } };
  const a = { metadata: { name: 'a', namespace: 'shop' } };
  const b = { metadata: { name: 'b', namespace: 'other' } };
  assert.deepEqual(serviceEnvSources('shop', [k, a, b]), [k, a]);
  assert.deepEqual(serviceEnvSources('shop', [k, a, b], false), [k]);
});

test('$(VAR) expansion: defined names, $$ escapes, unknown references kept', () => {
  const vars: Record<string, string> = { A: 'x' };
  assert.equal(expand('$(A)-$(B)-$$(A)-$', (n) => vars[n]), 'x-$(B)-$(A)-$');
  assert.equal(expand('no refs $(unclosed', () => undefined), 'no refs $(unclosed');
});

test('env: envFrom with prefixes, env in order with expansion, valueFrom sources, service variables last', () => {
  const configMaps = new Map([['cfg', { data: { MODE: 'prod', 'bad key': 'x' } }]]);
  const secrets = new Map([['creds', { data: { password: Buffer.from('s3cret').toString('base64') } }]]);
  const services = [{ metadata: { name: 'api', namespace: 'shop' }, spec: { clusterIP: '10.96.0.7', ports: [{ port: 80 }] } }];
  const container = {
    name: 'c',
    resources: { limits: { cpu: '250m', memory: '64Mi' } },
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
    env: [
      { name: 'GREETING', value: 'mode=$(CFG_MODE) api=$(API_SERVICE_HOST)' },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'API_SERVICE_PORT', value: 'mine' },
    ],
  };
  const r = containerEnv(container, { pod: pod(), configMaps, secrets, services });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.skippedKeys, ['CFG_bad key']);
  const env = Object.fromEntries(r.env);
  assert.equal(env.CFG_MODE, 'prod');
  assert.equal(env.GREETING, 'mode=prod api=10.96.0.7');
  assert.equal(env.PASS, 's3cret');
  assert.equal(env.POD, 'web-1');
  assert.equal(env.APP, 'web');
  assert.equal(env.IP, '10.244.0.5');
  assert.equal(env.CPU, '1'); // 250m rounded up to whole CPUs
  assert.equal(env.MEM_MI, '64');
  assert.equal(env.API_SERVICE_PORT, 'mine'); // the container's own value wins
  assert.equal(env.API_SERVICE_HOST, '10.96.0.7');
  // Service variables come after the container's own.
  assert.ok(r.env.findIndex(([k]) => k === 'API_SERVICE_HOST') > r.env.findIndex(([k]) => k === 'PASS'));
});

test('env: missing references are errors unless optional', () => {
  const container = {
    name: 'c',
    envFrom: [{ secretRef: { name: 'gone', optional: true } }],
    env: [
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'missing' } } },
      { name: 'C', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'missing', optional: true } } },
    ],
  };
  const r = containerEnv(container, { ...none, pod: pod(), configMaps: new Map([['cfg', { data: {} }]]) });
  assert.deepEqual(r.errors, ['configmap "nope" not found', "couldn't find key missing in ConfigMap shop/cfg"]);
  assert.deepEqual(r.env, []);
});

test('resourceFieldRef: requests default to limits, unset limits to the node allocatable', () => {
  const c = { resources: { limits: { memory: '128Mi' } } };
  assert.equal(resourceFieldValue(c, 'requests.memory', '1Mi'), '128');
  assert.equal(resourceFieldValue(c, 'limits.cpu', '1m', { cpu: '2' }), '2000');
  assert.equal(resourceFieldValue(c, 'requests.cpu', undefined), '0');
  assert.equal(resourceFieldValue(c, 'limits.gpu', undefined), undefined);
});
