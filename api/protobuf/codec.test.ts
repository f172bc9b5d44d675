import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject, goDuration, messageTypeFor, ProtobufError, summarizeData } from './codec.ts';

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
