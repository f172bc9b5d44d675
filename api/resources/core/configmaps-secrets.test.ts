import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configmaps } from './configmaps.ts';
import { secrets } from './secrets.ts';
import type { KubeObject } from '../../registry/descriptor.ts';

const now = new Date('2024-01-01T00:00:30Z');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('configmap keys, duplicates and size', () => {
  assert.deepEqual(configmaps.strategy.validate({ data: { 'a.b': '1' }, binaryData: { c: b64('x') } }), []);
  const errs = configmaps.strategy.validate({ data: { 'bad/key': 'v', dup: 'x' }, binaryData: { dup: b64('y') } });
  assert.deepEqual(errs.map((e) => `${e.field}: ${e.message.split(' (e.g.')[0]}`), [
    `data[bad/key]: Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
    'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
  ]);
  const big = configmaps.strategy.validate({ data: { a: 'x'.repeat(1024 * 1024 + 1) } });
  assert.deepEqual(big.map((e) => [e.type, e.field]), [['FieldValueTooLong', '']]);
});

test('immutable configmaps and secrets', () => {
  const old: KubeObject = { immutable: true, data: { a: '1' } };
  assert.deepEqual(configmaps.strategy.validateUpdate({ immutable: true, data: { a: '1' } }, old), []);
  assert.deepEqual(configmaps.strategy.validateUpdate({ data: { a: '2' } }, old).map((e) => `${e.field}: ${e.message}`), [
    'immutable: Forbidden: field is immutable when `immutable` is set',
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
  const s: KubeObject = { type: 'Opaque', immutable: true, data: { a: b64('1') } };
  assert.deepEqual(secrets.strategy.validateUpdate({ type: 'kubernetes.io/tls', immutable: true, data: { a: b64('1') } }, s).map((e) => e.field), [
    'type',
    'data[tls.crt]',
    'data[tls.key]',
  ]);
});

test('secret defaults: Opaque, stringData merged into data', () => {
  const s: KubeObject = { metadata: { name: 's' }, data: { a: b64('x') }, stringData: { b: 'hello', a: 'over' } };
  secrets.strategy.defaults(s);
  assert.deepEqual(s, { metadata: { name: 's' }, type: 'Opaque', data: { a: b64('over'), b: b64('hello') } });
});

test('secret type rules', () => {
  const v = (o: KubeObject) => secrets.strategy.validate(o).map((e) => `${e.field}: ${e.message}`);
  assert.deepEqual(v({ type: 'kubernetes.io/service-account-token', metadata: {} }), ['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
  assert.deepEqual(v({ type: 'kubernetes.io/dockerconfigjson', data: {} }), ['data[.dockerconfigjson]: Required value']);
  assert.equal(v({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{bad') } })[0]!.startsWith('data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": '), true);
  assert.deepEqual(v({ type: 'kubernetes.io/basic-auth', data: {} }), ['data[username]: Required value', 'data[password]: Required value']);
  assert.deepEqual(v({ type: 'kubernetes.io/basic-auth', data: { password: '' } }), []);
  assert.deepEqual(v({ type: 'kubernetes.io/ssh-auth', data: {} }), ['data[ssh-privatekey]: Required value']);
});

test('printer cells and field selectors', () => {
  const cm: KubeObject = { metadata: { creationTimestamp: '2024-01-01T00:00:00Z' }, data: { a: '1', b: '2' }, binaryData: { c: '' } };
  assert.deepEqual(configmaps.printerColumns.map((c) => c.cell(cm, now)), [3, '30s']);
  const s: KubeObject = { metadata: { creationTimestamp: '2024-01-01T00:00:00Z' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } };
  assert.deepEqual(secrets.printerColumns.map((c) => [c.name, c.cell(s, now)]), [['Type', 'kubernetes.io/tls'], ['Data', 2], ['Age', '30s']]);
  assert.equal(secrets.fieldSelectors.type!(s), 'kubernetes.io/tls');
});
