// X.509 certificates without an X.509 library: a minimal DER encoder, ECDSA P-256 keys and
// SHA-256 signatures from node:crypto. The cluster PKI (server/certs.ts) and the node
// agents' self-signed serving certificates (node/kubelet-server) are built with it.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// --- minimal DER encoder --------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b: Buffer) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
/** Context-specific explicit (constructed) tag. */
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);

/** A non-negative INTEGER from big-endian magnitude bytes. */
function uint(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** BIT STRING with DER's minimal unused-bit count. */
function bitString(bytes: Buffer, trimUnused = false): Buffer {
  let unused = 0;
  if (trimUnused && bytes.length > 0) {
    const last = bytes[bytes.length - 1]!;
    while (unused < 8 && ((last >> unused) & 1) === 0) unused++;
    if (unused === 8) unused = 0;
  }
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2024-01-02T03:04:05.678Z
  const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'; // 20240102030405Z
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(compact.slice(2), 'ascii')) : tlv(0x18, Buffer.from(compact, 'ascii'));
}

export interface DistinguishedName {
  commonName: string;
  organizations?: string[];
}

function name(dn: DistinguishedName): Buffer {
  const rdns: Buffer[] = [];
  for (const o of dn.organizations ?? []) rdns.push(set(seq(oid('2.5.4.10'), utf8(o))));
  rdns.push(set(seq(oid('2.5.4.3'), utf8(dn.commonName))));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const KU_DIGITAL_SIGNATURE = 0x80;
const KU_KEY_ENCIPHERMENT = 0x20;
const KU_CERT_SIGN = 0x04;
const KU_CRL_SIGN = 0x02;
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function keyId(publicKey: KeyObject): Buffer {
  // RFC 5280 method 1: SHA-1 of the subjectPublicKey bits.
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki).digest();
}

export interface CertificateRequest {
  subject: DistinguishedName;
  publicKey: KeyObject;
  issuer: DistinguishedName;
  issuerKey: KeyObject;
  issuerPublicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  extKeyUsage?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

export function createCertificate(req: CertificateRequest): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const exts: Buffer[] = [];
  const usage = req.isCA ? KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_CERT_SIGN | KU_CRL_SIGN : KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT;
  exts.push(extension('2.5.29.15', true, bitString(Buffer.from([usage]), true)));
  if (req.extKeyUsage?.length) exts.push(extension('2.5.29.37', false, seq(...req.extKeyUsage.map(oid))));
  exts.push(extension('2.5.29.19', true, req.isCA ? seq(bool(true)) : seq()));
  exts.push(extension('2.5.29.14', false, octets(keyId(req.publicKey))));
  if (!req.isCA) exts.push(extension('2.5.29.35', false, seq(tlv(0x80, keyId(req.issuerPublicKey)))));
  const san: Buffer[] = [];
  for (const dns of req.dnsNames ?? []) san.push(tlv(0x82, Buffer.from(dns, 'ascii')));
  for (const ip of req.ipAddresses ?? []) san.push(tlv(0x87, ipBytes(ip)));
  if (san.length) exts.push(extension('2.5.29.17', false, seq(...san)));

  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))),
    uint(serial),
    ECDSA_SHA256,
    name(req.issuer),
    seq(time(req.notBefore), time(req.notAfter)),
    name(req.subject),
    req.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, req.issuerKey);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  return toPem('CERTIFICATE', der);
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand '::'
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function newKey(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
  return { privateKey, publicKey, pem };
}

/** A self-signed serving certificate (as a kubelet makes for itself when given none). */
export function selfSignedServingCertificate(commonName: string, names: { dnsNames?: string[]; ipAddresses?: string[] }, days = 365, now = new Date()): { cert: string; key: string } {
  const k = newKey();
  const subject: DistinguishedName = { commonName };
  const cert = createCertificate({
    subject,
    publicKey: k.publicKey,
    issuer: subject,
    issuerKey: k.privateKey,
    issuerPublicKey: k.publicKey,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + days * 24 * 3600 * 1000),
    isCA: false,
    extKeyUsage: [EKU_SERVER_AUTH],
    dnsNames: names.dnsNames,
    ipAddresses: names.ipAddresses,
  });
  return { cert, key: k.pem };
}
