import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject, encodeProtobufObject, goDuration, messageTypeFor, parseGoDuration, ProtobufError, summarizeData } from './codec.ts';

// Bodies kubectl 1.33 sent (captured from `kubectl create ...`), base64.
const NAMESPACE = 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEh0KFQoFY2FwbnMSABoAIgAqADIAOABCABIAGgIKABoAIgA=';
const SECRET = 'azhzAAoMCgJ2MRIGU2VjcmV0EiYKFQoCczESABoDbnMxIgAqADIAOABCABILCgFwEgZzM2NyZXQaABoAIgA=';
const DEPLOYMENT =
  'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErwBCiAKAmQxEgAaA25zMSIAKgAyADgAQgBaCQoDYXBwEgJkMRKJAQgAEgsKCQoDYXBwEgJkMRpwChsKABIAGgAiACoAMgA4AEIAWgkKA2FwcBICZDESURIzCgVuZ2lueBIKbmdpbng6MS4yNSoAMgoKABAAGFAiACoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA';
const SERVICE =
  'azhzAAoNCgJ2MRIHU2VydmljZRJuCiQKBHN2YzESABoDbnMxIgAqADIAOABCAFoLCgNhcHASBHN2YzESQgobCgc4MC04MDgwEgNUQ1AYUCIHCAAQkD8aACgAEgsKA2FwcBIEc3ZjMRoAIghOb2RlUG9ydDoAQgBSAFoAYABoABoCCgAaACIA';

const decode = (b64: string) => decodeProtobufObject(Buffer.from(b64, 'base64')).object;

test('a namespace decodes to what kubectl sends as JSON', () => {
  assert.deepEqual(decode(NAMESPACE), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'capns', creationTimestamp: null }, spec: {}, status: {} });
});

test('bytes map values are base64 (Secret.data)', () => {
  assert.deepEqual(decode(SECRET), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'ns1', creationTimestamp: null }, data: { p: 'czNjcmV0' } });
});

test('pointers set to zero stay, Go values at zero go (replicas: 0, containerPort, resources: {})', () => {
  assert.deepEqual(decode(DEPLOYMENT), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd1', namespace: 'ns1', creationTimestamp: null, labels: { app: 'd1' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'd1' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'd1' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} }] },
      },
      strategy: {},
    },
    status: {},
  });
});

test('IntOrString and nested values (Service)', () => {
  assert.deepEqual(decode(SERVICE), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc1', namespace: 'ns1', creationTimestamp: null, labels: { app: 'svc1' } },
    spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'svc1' }, type: 'NodePort' },
    status: { loadBalancer: {} },
  });
});

test('message types by group version and kind', () => {
  assert.equal(messageTypeFor('apps/v1', 'Deployment'), 'k8s.io.api.apps.v1.Deployment');
  assert.equal(messageTypeFor('rbac.authorization.k8s.io/v1', 'Role'), 'k8s.io.api.rbac.v1.Role');
  assert.equal(messageTypeFor('v1', 'DeleteOptions'), 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.equal(messageTypeFor('v1', 'NoSuchKind'), undefined);
});

test('malformed bodies are errors with upstream wording', () => {
  assert.throws(() => decodeProtobufObject(Buffer.from('xx')), (e: unknown) => e instanceof ProtobufError && /does not appear to be a protobuf message/.test(e.message));
  assert.throws(() => decodeProtobufObject(Buffer.from(NAMESPACE, 'base64').subarray(0, 30)), ProtobufError);
  assert.equal(summarizeData(Buffer.from('xx')), '7878');
});

test('Go durations', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(90e9), '1m30s');
  assert.equal(goDuration(3600e9), '1h0m0s');
  assert.equal(goDuration(1.5e9), '1.5s');
  assert.equal(goDuration(2e6), '2ms');
});

test('encoding is the inverse of decoding (times, quantities, int-or-strings, bytes, fields, maps)', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'ns',
      uid: '2a07565a-dfc9-42ce-b366-d60a3383baf2',
      resourceVersion: '16',
      generation: 2,
      creationTimestamp: '2026-11-23T16:01:49Z',
      labels: { app: 'web', tier: 'fe' },
      annotations: { a: 'b' },
      managedFields: [
        { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '2026-11-23T16:01:49Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      ],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              resources: { limits: { cpu: '500m', memory: '128Mi' } },
              args: ['-g', 'daemon off;'],
            },
          ],
          terminationGracePeriodSeconds: 30,
          securityContext: {},
        },
      },
    },
    status: { observedGeneration: 2, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2026-11-23T16:01:50Z', lastTransitionTime: '2026-11-23T16:01:50Z' }] },
  };
  const wire = encodeProtobufObject(deployment)!;
  assert.ok(wire.subarray(0, 4).equals(Buffer.from('k8s\0')));
  assert.deepEqual(decodeProtobufObject(wire).object, deployment);
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: 'czNjcmV0', empty: '' }, type: 'Opaque' };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(secret)!).object, secret);
  const list = { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'a' }, data: { k: 'v' } }] };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(list)!).object, list);
  const status = { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: 'nope', reason: 'NotFound', details: { name: 'x', kind: 'configmaps' }, code: 404 };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(status)!).object, status);
  // Every captured kubectl body survives a decode/encode/decode round trip.
  for (const b64 of [NAMESPACE, SECRET, DEPLOYMENT, SERVICE]) {
    const once = decode(b64);
    assert.deepEqual(decodeProtobufObject(encodeProtobufObject(once)!).object, once);
  }
});

test('objects without a message or of the wrong shape are not encoded', () => {
  assert.equal(encodeProtobufObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), undefined);
  assert.equal(encodeProtobufObject({ apiVersion: 'meta.k8s.io/v1', kind: 'Table', rows: [] }), undefined);
  assert.equal(encodeProtobufObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 7 } }), undefined);
});

test('Go durations parse back', () => {
  for (const ns of [0, 90e9, 3600e9, 1.5e9, 2e6, 3723e9]) assert.equal(parseGoDuration(goDuration(ns)), ns);
});

test('inline structs: their fields are the parent JSON object\'s (volumes, key selectors, probes, ingress rules)', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      volumes: [{ name: 'cfg', configMap: { name: 'c', defaultMode: 420 } }, { name: 'tmp', emptyDir: {} }],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }],
          envFrom: [{ secretRef: { name: 's' } }],
          livenessProbe: { httpGet: { path: '/', port: 80, scheme: 'HTTP' }, periodSeconds: 10 },
        },
      ],
    },
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(pod)!).object, pod);
  const ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'i' },
    spec: { rules: [{ host: 'foo.com', http: { paths: [{ path: '/', pathType: 'Exact', backend: { service: { name: 's', port: { number: 80 } } } }] } }] },
  };
  assert.deepEqual(decodeProtobufObject(encodeProtobufObject(ingress)!).object, ingress);
});

test('map keys are data, never prototypes', () => {
  const json = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"},"data":{"__proto__":"y","k":"v"}}');
  const out = decodeProtobufObject(encodeProtobufObject(json)!).object as { data: Record<string, unknown> };
  assert.equal(Object.getPrototypeOf(out.data), Object.prototype);
  assert.deepEqual(Object.keys(out.data).sort(), ['__proto__', 'k']);
});
