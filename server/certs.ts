// The cluster's PKI, created on first start and kept in the data dir: a CA, the API
// server's serving certificate (SANs localhost, 127.0.0.1, ::1, the hostname and the
// in-cluster `kubernetes.default.svc` names) and the admin client certificate
// (CN=kubernetes-admin, O=system:masters) that the written kubeconfig uses.
// Certificates are ECDSA P-256 / SHA-256, made by lib/x509.ts.
import { createPrivateKey, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createCertificate, EKU_CLIENT_AUTH, EKU_SERVER_AUTH, newKey, type DistinguishedName } from '../lib/x509.ts';

// --- the cluster PKI ------------------------------------------------------------------

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** The admin's bearer token (an alternative to the client certificate). */
  adminToken: string;
}

const DAY = 24 * 3600 * 1000;
const CA_SUBJECT: DistinguishedName = { commonName: 'kubernetes' };

export function servingNames(): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  const host = hostname();
  if (host && !dnsNames.includes(host) && /^[a-zA-Z0-9.-]+$/.test(host)) dnsNames.push(host);
  return { dnsNames, ipAddresses: ['127.0.0.1', '::1'] };
}

/** Creates what is missing under `<dir>` (ca.crt/key, apiserver.crt/key, admin.crt/key, admin.token) and loads it. */
export function ensurePki(dir: string, now = new Date()): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (n: string) => join(dir, n);
  const write = (n: string, content: string) => writeFileSync(file(n), content, { mode: 0o600 });
  const notBefore = new Date(now.getTime() - 5 * 60 * 1000);

  if (!existsSync(file('ca.crt')) || !existsSync(file('ca.key'))) {
    const k = newKey();
    const cert = createCertificate({
      subject: CA_SUBJECT,
      publicKey: k.publicKey,
      issuer: CA_SUBJECT,
      issuerKey: k.privateKey,
      issuerPublicKey: k.publicKey,
      notBefore,
      notAfter: new Date(now.getTime() + 3650 * DAY),
      isCA: true,
    });
    write('ca.key', k.pem);
    write('ca.crt', cert);
    // A new CA invalidates everything it signed before.
    for (const n of ['apiserver.crt', 'admin.crt']) if (existsSync(file(n))) writeFileSync(file(n), '');
  }
  const caCert = readFileSync(file('ca.crt'), 'utf8');
  const caKey = readFileSync(file('ca.key'), 'utf8');
  const caPrivate = createPrivateKey(caKey);
  const caPublic = createPublicKey(caPrivate);

  const issue = (base: string, subject: DistinguishedName, extKeyUsage: string[], names?: { dnsNames: string[]; ipAddresses: string[] }) => {
    const crt = `${base}.crt`;
    const key = `${base}.key`;
    if (existsSync(file(crt)) && existsSync(file(key)) && validLeaf(readFileSync(file(crt), 'utf8'), caCert, names, now)) return;
    const k = newKey();
    const cert = createCertificate({
      subject,
      publicKey: k.publicKey,
      issuer: CA_SUBJECT,
      issuerKey: caPrivate,
      issuerPublicKey: caPublic,
      notBefore,
      notAfter: new Date(now.getTime() + 365 * DAY),
      isCA: false,
      extKeyUsage,
      ...names,
    });
    write(key, k.pem);
    write(crt, cert);
  };
  issue('apiserver', { commonName: 'kube-apiserver' }, [EKU_SERVER_AUTH], servingNames());
  issue('admin', { commonName: 'kubernetes-admin', organizations: ['system:masters'] }, [EKU_CLIENT_AUTH]);

  if (!existsSync(file('admin.token'))) write('admin.token', randomBytes(32).toString('base64url') + '\n');

  return {
    caCert,
    caKey,
    serverCert: readFileSync(file('apiserver.crt'), 'utf8'),
    serverKey: readFileSync(file('apiserver.key'), 'utf8'),
    adminCert: readFileSync(file('admin.crt'), 'utf8'),
    adminKey: readFileSync(file('admin.key'), 'utf8'),
    adminToken: readFileSync(file('admin.token'), 'utf8').trim(),
  };
}

/** Signed by this CA, not expiring within a day, and (for serving certs) covering every wanted name. */
function validLeaf(pem: string, caPem: string, names: { dnsNames: string[]; ipAddresses: string[] } | undefined, now: Date): boolean {
  try {
    const cert = new X509Certificate(pem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (new Date(cert.validTo).getTime() < now.getTime() + DAY) return false;
    if (names) {
      const san = cert.subjectAltName ?? '';
      for (const d of names.dnsNames) if (!san.includes(`DNS:${d}`)) return false;
      if (!san.includes('IP Address:127.0.0.1')) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** A client certificate signed by the cluster CA, kept in memory (e.g. the API server's identity towards the kubelets). */
export function issueClientCertificate(pki: Pick<Pki, 'caKey'>, subject: DistinguishedName, days = 365, now = new Date()): { cert: string; key: string } {
  const caPrivate = createPrivateKey(pki.caKey);
  const k = newKey();
  const cert = createCertificate({
    subject,
    publicKey: k.publicKey,
    issuer: CA_SUBJECT,
    issuerKey: caPrivate,
    issuerPublicKey: createPublicKey(caPrivate),
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + days * DAY),
    isCA: false,
    extKeyUsage: [EKU_CLIENT_AUTH],
  });
  return { cert, key: k.pem };
}
