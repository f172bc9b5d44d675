import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from './certs.ts';

describe('ensurePki', () => {
  it('creates a CA, a serving certificate and an admin client certificate, and reuses them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-pki-'));
    try {
      const pki = ensurePki(dir);
      const ca = new X509Certificate(pki.caCert);
      assert.equal(ca.ca, true);
      assert.equal(ca.subject, 'CN=kubernetes');
      const server = new X509Certificate(pki.serverCert);
      assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
      assert.equal(server.ca, false);
      assert.equal(server.checkHost('localhost'), 'localhost');
      assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
      assert.equal(server.checkIP('::1'), '::1');
      assert.equal(server.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
      if (/^[a-zA-Z0-9.-]+$/.test(hostname())) assert.equal(server.checkHost(hostname()), hostname());
      assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
      const admin = new X509Certificate(pki.adminCert);
      assert.ok(admin.checkIssued(ca) && admin.verify(ca.publicKey));
      assert.match(admin.subject, /O=system:masters/);
      assert.match(admin.subject, /CN=kubernetes-admin/);
      assert.deepEqual(admin.keyUsage, ['1.3.6.1.5.5.7.3.2']);
      assert.match(pki.adminToken, /^[A-Za-z0-9_-]{40,}$/);
      assert.ok(new Date(admin.validTo).getTime() > Date.now() + 300 * 24 * 3600 * 1000);

      const again = ensurePki(dir);
      assert.equal(again.caCert, pki.caCert);
      assert.equal(again.serverCert, pki.serverCert);
      assert.equal(again.adminToken, pki.adminToken);
      assert.equal(readFileSync(join(dir, 'ca.key'), 'utf8'), pki.caKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
