import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMap, planVolume, prepareHostPath, VolumeError, writeAtomic, type Files, type VolumeLookups } from './volumes.ts';

const pod = {
  metadata: { name: 'web', namespace: 'ns', uid: 'u1', labels: { b: '2', a: 'x"y' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] },
};
const lookups: VolumeLookups = {
  pod,
  configMap: (n) => (n === 'page' ? { data: { 'index.html': '<h1>hi</h1>', other: 'o' }, binaryData: { 'bin.dat': Buffer.from([1, 2]).toString('base64') } } : undefined),
  secret: (n) => (n === 'creds' ? { data: { password: Buffer.from('s3cret').toString('base64') } } : undefined),
  token: async (aud, exp) => `token-for-${aud}-${exp}`,
};

const text = (f: Files) => Object.fromEntries([...f].map(([k, v]) => [k, `${v.data.toString()}|${v.mode.toString(8)}`]));

test('configMap and secret volumes: every key, or the items asked for, with modes', async () => {
  const all = await planVolume({ name: 'v', configMap: { name: 'page' } }, lookups);
  assert.equal(all.kind, 'files');
  if (all.kind !== 'files') return;
  assert.equal(all.plugin, 'kubernetes.io~configmap');
  assert.deepEqual(text(all.files), { 'index.html': '<h1>hi</h1>|644', other: 'o|644', 'bin.dat': '\u0001\u0002|644' });
  const items = await planVolume({ name: 'v', configMap: { name: 'page', defaultMode: 0o400, items: [{ key: 'index.html', path: 'site/index.html' }, { key: 'other', path: 'o', mode: 0o600 }] } }, lookups);
  assert.deepEqual(items.kind === 'files' && text(items.files), { 'site/index.html': '<h1>hi</h1>|400', o: 'o|600' });
  const secret = await planVolume({ name: 's', secret: { secretName: 'creds' } }, lookups);
  assert.deepEqual(secret.kind === 'files' && text(secret.files), { password: 's3cret|644' });
});

test('missing objects and keys fail the mount unless optional', async () => {
  await assert.rejects(planVolume({ name: 'v', configMap: { name: 'nope' } }, lookups), (e) => e instanceof VolumeError && e.message === 'configmap "nope" not found');
  await assert.rejects(planVolume({ name: 'v', secret: { secretName: 'nope' } }, lookups), /secret "nope" not found/);
  await assert.rejects(planVolume({ name: 'v', configMap: { name: 'page', items: [{ key: 'x', path: 'x' }] } }, lookups), /configmap references non-existent config key: x/);
  const opt = await planVolume({ name: 'v', configMap: { name: 'nope', optional: true } }, lookups);
  assert.equal(opt.kind === 'files' && opt.files.size, 0);
  await assert.rejects(planVolume({ name: 'v', nfs: { server: 'x', path: '/' } }, lookups), /volume type nfs is not supported/);
});

test('downward API files: fields, labels and annotations as sorted key="value" lines, resources', async () => {
  assert.equal(formatMap({ b: '2', a: 'x"y' }), 'a="x\\"y"\nb="2"');
  const v = await planVolume(
    {
      name: 'd',
      downwardAPI: {
        items: [
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
          { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
        ],
      },
    },
    lookups,
  );
  assert.deepEqual(v.kind === 'files' && text(v.files), { name: 'web|644', labels: 'a="x\\"y"\nb="2"|644', annotations: 'note="hi"|644', mem: '64|644' });
});

test('projected volumes combine sources; tokens are private', async () => {
  const v = await planVolume(
    {
      name: 'p',
      projected: {
        defaultMode: 0o440,
        sources: [
          { configMap: { name: 'page', items: [{ key: 'other', path: 'cm/other' }] } },
          { secret: { name: 'creds' } },
          { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          { serviceAccountToken: { path: 'token', audience: 'api', expirationSeconds: 600 } },
        ],
      },
    },
    lookups,
  );
  assert.equal(v.kind === 'files' && v.plugin, 'kubernetes.io~projected');
  assert.deepEqual(v.kind === 'files' && text(v.files), { 'cm/other': 'o|440', password: 's3cret|440', ns: 'ns|440', token: 'token-for-api-600|600' });
});

test('emptyDir, hostPath and claims are plain directories', async () => {
  assert.deepEqual(await planVolume({ name: 'e', emptyDir: { medium: 'Memory' } }, lookups), { kind: 'emptyDir', medium: 'Memory' });
  assert.deepEqual(await planVolume({ name: 'h', hostPath: { path: '/srv' } }, lookups), { kind: 'hostPath', path: '/srv', type: '' });
  assert.deepEqual(await planVolume({ name: 'c', persistentVolumeClaim: { claimName: 'data' } }, lookups), { kind: 'claim', claimName: 'data', readOnly: false });
});

test('the atomic writer swaps ..data, keeps one link per top-level entry, and skips no-op updates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-vol-'));
  try {
    const files = (m: Record<string, string>): Files => new Map(Object.entries(m).map(([k, v]) => [k, { data: Buffer.from(v), mode: 0o644 }]));
    assert.equal(writeAtomic(join(dir, 'v'), files({ 'index.html': 'one', 'sub/a': 'A' })), true);
    const v = join(dir, 'v');
    assert.equal(readFileSync(join(v, 'index.html'), 'utf8'), 'one');
    assert.equal(readFileSync(join(v, 'sub/a'), 'utf8'), 'A');
    assert.equal(readlinkSync(join(v, 'index.html')), '..data/index.html');
    const first = readlinkSync(join(v, '..data'));
    assert.equal(writeAtomic(v, files({ 'index.html': 'one', 'sub/a': 'A' })), false);
    assert.equal(writeAtomic(v, files({ 'index.html': 'two' })), true);
    assert.equal(readFileSync(join(v, 'index.html'), 'utf8'), 'two');
    assert.ok(!existsSync(join(v, 'sub')));
    assert.ok(!existsSync(join(v, first)));
    assert.deepEqual(readdirSync(v).filter((e) => !e.startsWith('..')), ['index.html']);
    assert.throws(() => writeAtomic(v, files({ '../escape': 'x' })), /invalid path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostPath types: created when asked, checked otherwise', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-hostpath-'));
  try {
    prepareHostPath(join(dir, 'a/b'), 'DirectoryOrCreate');
    assert.ok(statSync(join(dir, 'a/b')).isDirectory());
    prepareHostPath(join(dir, 'f/file'), 'FileOrCreate');
    assert.ok(statSync(join(dir, 'f/file')).isFile());
    writeFileSync(join(dir, 'plain'), '');
    assert.throws(() => prepareHostPath(join(dir, 'plain'), 'Directory'), /hostPath type check failed: .* is not a directory/);
    assert.throws(() => prepareHostPath(join(dir, 'missing'), 'File'), /is not a file/);
    prepareHostPath(join(dir, 'missing'), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
