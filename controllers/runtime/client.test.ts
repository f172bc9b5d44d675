import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, DiscoveryError, RestMapper, parseKubeconfig, resourcePath, type ApiResource } from './client.ts';
import { ApiStatusError, isGone, isNotFound } from './errors.ts';
import type { WatchEvent } from './types.ts';

describe('parseKubeconfig', () => {
  it('reads embedded data, file references and tokens of the current context', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-kc-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'CA-FROM-FILE');
      writeFileSync(join(dir, 'token'), 'tok-from-file\n');
      const kc = `
apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:6443/", certificate-authority-data: ${Buffer.from('CA').toString('base64')}}
- name: c2
  cluster: {server: "https://example:443", certificate-authority: ${join(dir, 'ca.pem')}, insecure-skip-tls-verify: true}
users:
- name: u1
  user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}
- name: u2
  user: {tokenFile: ${join(dir, 'token')}}
contexts:
- name: one
  context: {cluster: c1, user: u1}
- name: two
  context: {cluster: c2, user: u2}
`;
      const one = parseKubeconfig(kc);
      assert.equal(one.server, 'https://127.0.0.1:6443');
      assert.equal(one.ca?.toString(), 'CA');
      assert.equal(one.cert?.toString(), 'CERT');
      assert.equal(one.key?.toString(), 'KEY');
      assert.equal(one.token, undefined);
      const two = parseKubeconfig(kc, 'two');
      assert.equal(two.ca?.toString(), 'CA-FROM-FILE');
      assert.equal(two.insecureSkipTLSVerify, true);
      assert.equal(two.token, 'tok-from-file');
      assert.throws(() => parseKubeconfig(kc, 'three'), /context "three" not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resourcePath and RestMapper', () => {
  it('builds core, group, namespaced and subresource paths', () => {
    const cm = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
    const dep = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
    const ns = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
    assert.equal(resourcePath(cm, 'a'), '/api/v1/namespaces/a/configmaps');
    assert.equal(resourcePath(cm, undefined), '/api/v1/configmaps');
    assert.equal(resourcePath(dep, 'a', 'web', 'scale'), '/apis/apps/v1/namespaces/a/deployments/web/scale');
    assert.equal(resourcePath(ns, 'ignored', 'x', 'finalize'), '/api/v1/namespaces/x/finalize');
  });

  it('maps apiVersion+kind exactly, else to the group preferred version', () => {
    const r = (group: string, version: string, kind: string, preferred: boolean): ApiResource => ({
      group,
      version,
      kind,
      resource: `${kind.toLowerCase()}s`,
      namespaced: true,
      verbs: [],
      preferred,
    });
    const m = new RestMapper([r('autoscaling', 'v2', 'HorizontalPodAutoscaler', true), r('autoscaling', 'v1', 'HorizontalPodAutoscaler', false), r('', 'v1', 'ConfigMap', true)]);
    assert.equal(m.map('autoscaling/v1', 'HorizontalPodAutoscaler')?.version, 'v1');
    assert.equal(m.map('autoscaling/v2beta2', 'HorizontalPodAutoscaler')?.version, 'v2');
    assert.equal(m.map('v1', 'ConfigMap')?.resource, 'configmaps');
    assert.equal(m.map('v1', 'Nope'), undefined);
  });
});

describe('ApiClient over HTTP', () => {
  let server: Server;
  let client: ApiClient;
  const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const url = new URL(req.url!, 'http://x');
        const json = (code: number, v: unknown) => {
          res.writeHead(code, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(v));
        };
        if (url.pathname === '/api/v1/namespaces/a/configmaps/missing') {
          return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'configmaps "missing" not found' });
        }
        if (url.pathname === '/api/v1/namespaces/a/configmaps' && url.searchParams.get('watch') === 'true') {
          if (url.searchParams.get('resourceVersion') === '1') return json(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x', resourceVersion: '5' } } });
          const b = JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '6' } } });
          // Events split across chunks at awkward places.
          res.write(a.slice(0, 10));
          setTimeout(() => {
            res.write(a.slice(10) + '\n' + b.slice(0, 5));
            setTimeout(() => res.end(b.slice(5) + '\n'), 5);
          }, 5);
          return;
        }
        if (url.pathname === '/api/v1/namespaces/a/configmaps') return json(200, { kind: 'ConfigMapList', items: [], metadata: { resourceVersion: '3' } });
        if (url.pathname === '/api') return json(200, { versions: ['v1'] });
        if (url.pathname === '/apis') {
          return json(200, {
            groups: [
              { name: 'apps', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } },
              { name: 'broken.example.com', versions: [{ version: 'v1' }], preferredVersion: { version: 'v1' } },
            ],
          });
        }
        if (url.pathname === '/api/v1') {
          return json(200, {
            resources: [
              { name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['list', 'delete'] },
              { name: 'pods/status', kind: 'Pod', namespaced: true, verbs: ['get'] },
            ],
          });
        }
        if (url.pathname === '/apis/apps/v1') return json(200, { resources: [{ name: 'deployments', kind: 'Deployment', namespaced: true, verbs: ['list'] }] });
        if (url.pathname === '/apis/broken.example.com/v1') return json(503, { kind: 'Status', code: 503, message: 'service unavailable' });
        json(200, { kind: 'ConfigMap', metadata: { name: 'echo' }, method: req.method, body: body ? JSON.parse(body) : undefined });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    client = new ApiClient({ server: `http://127.0.0.1:${addr.port}`, token: 'secret' });
  });

  after(async () => {
    client.close();
    await new Promise((r) => server.close(r));
  });

  const cms = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

  it('sends the bearer token and JSON; errors carry the Status', async () => {
    await client.create(cms, 'a', { metadata: { name: 'n' } });
    const last = seen.at(-1)!;
    assert.equal(last.method, 'POST');
    assert.equal(last.headers.authorization, 'Bearer secret');
    assert.equal(last.headers['content-type'], 'application/json');
    await assert.rejects(client.get(cms, 'a', 'missing'), (err: unknown) => {
      assert.ok(err instanceof ApiStatusError);
      assert.ok(isNotFound(err));
      assert.equal(err.reason, 'NotFound');
      assert.equal(err.message, 'configmaps "missing" not found');
      return true;
    });
  });

  it('patches with the patch content type, deletes with DeleteOptions, lists metadata only', async () => {
    await client.patch(cms, 'a', 'n', { metadata: { labels: { a: 'b' } } });
    assert.equal(seen.at(-1)!.headers['content-type'], 'application/merge-patch+json');
    await client.delete(cms, 'a', 'n', { propagationPolicy: 'Foreground', preconditions: { uid: 'u' } });
    assert.deepEqual(JSON.parse(seen.at(-1)!.body), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { uid: 'u' } });
    await client.deleteCollection(cms, 'a', { propagationPolicy: 'Background', labelSelector: 'x=y' });
    assert.equal(seen.at(-1)!.url, '/api/v1/namespaces/a/configmaps?labelSelector=x%3Dy');
    await client.list(cms, 'a', { metadataOnly: true, limit: 5 });
    assert.match(String(seen.at(-1)!.headers.accept), /^application\/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1/);
    assert.equal(seen.at(-1)!.url, '/api/v1/namespaces/a/configmaps?limit=5');
  });

  it('streams watch events split across chunks, then reports the end', async () => {
    const events: WatchEvent[] = [];
    const closed = await new Promise<Error | undefined>((resolve) => {
      client.watch(cms, 'a', { resourceVersion: '3', allowWatchBookmarks: true, timeoutSeconds: 10 }, (ev) => events.push(ev), resolve);
    });
    assert.equal(closed, undefined);
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata?.resourceVersion}`),
      ['ADDED 5', 'BOOKMARK 6'],
    );
    assert.match(seen.at(-1)!.url, /watch=true&resourceVersion=3&allowWatchBookmarks=true&timeoutSeconds=10/);
  });

  it('a watch answered with 410 closes with a Gone error', async () => {
    const closed = await new Promise<Error | undefined>((resolve) => {
      client.watch(cms, 'a', { resourceVersion: '1' }, () => undefined, resolve);
    });
    assert.ok(isGone(closed));
  });

  it('discovery skips subresources and reports failing group versions with what it found', async () => {
    await assert.rejects(client.discover(), (err: unknown) => {
      assert.ok(err instanceof DiscoveryError);
      assert.deepEqual(
        err.partial.map((r) => `${r.group}/${r.version}/${r.resource} ${r.preferred}`),
        ['/v1/configmaps true', 'apps/v1/deployments true'],
      );
      assert.equal(err.failures.length, 1);
      assert.match(err.failures[0]!, /^broken.example.com\/v1: service unavailable/);
      return true;
    });
  });
});
