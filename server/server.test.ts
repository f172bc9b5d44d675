import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tempStore, testRegistry, type TempStore } from '../api/storage/testing/fixtures.ts';
import { startApiServer, type ApiServer } from './server.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(server: ApiServer, path: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: server.port, path, method: 'GET', ca: server.pki.caCert, servername: 'localhost', ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API server over TLS', () => {
  let ts: TempStore;
  let server: ApiServer;

  before(async () => {
    ts = await tempStore();
    server = await startApiServer({ dataDir: ts.dir, store: ts.store, port: 0, registry: testRegistry() });
  });
  after(async () => {
    await server.close();
    await ts.dispose();
  });

  it('serves a certificate the cluster CA verifies for 127.0.0.1', async () => {
    const r = await get(server, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok');
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lets anonymous clients reach /version and health, nothing else', async () => {
    assert.equal((await get(server, '/version')).status, 200);
    const r = await get(server, '/api/v1/namespaces');
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it('authenticates the admin client certificate', async () => {
    const r = await get(server, '/api/v1/namespaces', { cert: server.pki.adminCert, key: server.pki.adminKey });
    assert.equal(r.status, 200, r.body);
    const names = JSON.parse(r.body).items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(names, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });

  it('authenticates the admin bearer token and refuses others', async () => {
    const ok = await get(server, '/api/v1/namespaces/default', { headers: { Authorization: `Bearer ${server.pki.adminToken}` } });
    assert.equal(ok.status, 200);
    const bad = await get(server, '/api/v1/namespaces/default', { headers: { Authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    const badVersion = await get(server, '/version', { headers: { Authorization: 'Bearer nope' } });
    assert.equal(badVersion.status, 401, 'invalid credentials are refused even where anonymous access is allowed');
  });

  it('refuses client certificates from another CA', async () => {
    const other = await tempStore();
    const { ensurePki } = await import('./certs.ts');
    const foreign = ensurePki(`${other.dir}/pki`);
    const r = await get(server, '/api/v1/namespaces', { cert: foreign.adminCert, key: foreign.adminKey });
    assert.equal(r.status, 401);
    await other.dispose();
  });
});
