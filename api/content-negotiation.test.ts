import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, parseAccept, requestFormat } from './content-negotiation.ts';
import { ApiError } from './errors.ts';

const kubectlGet = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const kubectlDiscovery =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

test('kubectl get asks for a v1 Table', () => {
  const n = negotiate(kubectlGet);
  assert.deepEqual(n.target, { kind: 'Table', version: 'v1' });
  assert.equal(n.format, 'json');
  assert.equal(n.contentType, 'application/json');
});

test('v1beta1 Table, YAML Table, PartialObjectMetadata', () => {
  assert.deepEqual(negotiate('application/json;as=Table;v=v1beta1;g=meta.k8s.io').target, { kind: 'Table', version: 'v1beta1' });
  const y = negotiate('application/yaml;as=Table;v=v1;g=meta.k8s.io');
  assert.equal(y.format, 'yaml');
  assert.equal(y.target.kind, 'Table');
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1').target, { kind: 'PartialObjectMetadataList', version: 'v1' });
  // incomplete or unknown conversions are skipped in favour of the next range
  assert.deepEqual(negotiate('application/json;as=Table, application/yaml').target, { kind: 'Object' });
  assert.equal(negotiate('application/json;as=Table, application/yaml').format, 'yaml');
  assert.deepEqual(negotiate('application/json;as=Deployment;g=apps;v=v1,application/json').target, { kind: 'Object' });
});

test('plain JSON, YAML, wildcards, protobuf fallback, quality', () => {
  assert.equal(negotiate(undefined).format, 'json');
  assert.equal(negotiate('').format, 'json');
  assert.equal(negotiate('*/*').format, 'json');
  assert.equal(negotiate('application/yaml').format, 'yaml');
  assert.equal(negotiate('application/yaml').contentType, 'application/yaml');
  assert.equal(negotiate('application/vnd.kubernetes.protobuf, */*').format, 'json');
  assert.equal(negotiate('application/json;q=0.5, application/yaml').format, 'yaml');
  assert.equal(negotiate('application/json;pretty=1').pretty, true);
  assert.equal(negotiate('application/json, */*').format, 'json');
});

test('protobuf only where the caller can serve it: objects, not watches nor conversions', () => {
  const pb = 'application/vnd.kubernetes.protobuf,application/json';
  assert.equal(negotiate(pb, { protobuf: true }).format, 'protobuf');
  assert.equal(negotiate(pb, { protobuf: true }).contentType, 'application/vnd.kubernetes.protobuf');
  assert.equal(negotiate(pb).format, 'json');
  assert.equal(negotiate(pb, { protobuf: true, watch: true }).format, 'json');
  assert.equal(negotiate('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json', { protobuf: true }).format, 'json');
  assert.equal(negotiate('application/json, application/vnd.kubernetes.protobuf', { protobuf: true }).format, 'json');
});

test('aggregated discovery only on discovery endpoints, with its Content-Type', () => {
  const d = negotiate(kubectlDiscovery, { endpoint: 'discovery' });
  assert.deepEqual(d.target, { kind: 'APIGroupDiscoveryList', version: 'v2' });
  assert.equal(d.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const beta = negotiate('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', { endpoint: 'discovery' });
  assert.equal(beta.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
  assert.deepEqual(negotiate(kubectlDiscovery).target, { kind: 'Object' }, 'a resource endpoint falls back to plain JSON');
  assert.deepEqual(negotiate(kubectlGet, { endpoint: 'discovery' }).target, { kind: 'Object' });
});

test('watch: only JSON streams', () => {
  const w = negotiate('application/json;stream=watch', { watch: true });
  assert.equal(w.stream, 'watch');
  assert.throws(() => negotiate('application/json;stream=watch'), (e: unknown) => e instanceof ApiError && e.code === 406);
  assert.throws(() => negotiate('application/yaml', { watch: true }), (e: unknown) => e instanceof ApiError && e.code === 406);
  assert.deepEqual(negotiate(kubectlGet, { watch: true }).target, { kind: 'Table', version: 'v1' });
});

test('nothing acceptable is 406 NotAcceptable', () => {
  assert.throws(
    () => negotiate('text/html'),
    (e: unknown) => e instanceof ApiError && e.code === 406 && e.reason === 'NotAcceptable' && /^only the following media types are accepted: application\/json/.test(e.message),
  );
  assert.throws(() => negotiate('application/json;q=0'), (e: unknown) => e instanceof ApiError && e.code === 406);
});

test('parameters are parsed with quotes and case-insensitive names', () => {
  const [r] = parseAccept('Application/JSON; AS="Table"; v=v1; g=meta.k8s.io;q=0.9');
  assert.deepEqual(r, { type: 'application', subtype: 'json', params: { as: 'Table', v: 'v1', g: 'meta.k8s.io' }, q: 0.9 });
  assert.deepEqual(
    parseAccept('a/b;q=0.1, */*, c/d').map((x) => `${x.type}/${x.subtype}`),
    ['c/d', '*/*', 'a/b'],
  );
});

test('request body formats', () => {
  assert.equal(requestFormat('application/strategic-merge-patch+json', 'patch'), 'strategic-merge-patch');
  assert.equal(requestFormat('application/json-patch+json; charset=utf-8', 'patch'), 'json-patch');
  assert.equal(requestFormat('application/apply-patch+yaml', 'patch'), 'apply-patch');
  assert.throws(() => requestFormat('application/json', 'patch'), (e: unknown) => e instanceof ApiError && e.code === 415);
  assert.equal(requestFormat('application/yaml', 'write'), 'yaml');
  assert.equal(requestFormat(undefined, 'write'), 'json');
  assert.throws(() => requestFormat('text/plain', 'write'), (e: unknown) => e instanceof ApiError && e.code === 415);
});
