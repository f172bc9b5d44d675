// The kubeconfig `k8ts up` writes: the cluster CA embedded, the admin client certificate,
// context `k8ts`.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Pki } from '../server/certs.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function kubeconfigYaml(server: string, pki: Pki, name = 'k8ts'): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: `${name}-admin`, user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
    preferences: {},
  };
  return stringify(config);
}

export function writeKubeconfig(path: string, server: string, pki: Pki): void {
  writeFileSync(path, kubeconfigYaml(server, pki), { mode: 0o600 });
}

/**
 * A kubeconfig for a control plane of several API servers (`k8ts up --servers N`): one
 * cluster and context per server (`k8ts` for the first, `k8ts-<name>` for the others), the
 * first current. kubectl talks to one server; if it goes down, `kubectl config use-context
 * k8ts-<name>` (or `--context`) switches to another.
 */
export function multiServerKubeconfigYaml(servers: Array<{ name: string; url: string }>, pki: Pki, name = 'k8ts'): string {
  const ctx = (i: number) => (i === 0 ? name : `${name}-${servers[i]!.name}`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: servers.map((s, i) => ({ name: ctx(i), cluster: { server: s.url, 'certificate-authority-data': b64(pki.caCert) } })),
    users: [{ name: `${name}-admin`, user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: servers.map((_, i) => ({ name: ctx(i), context: { cluster: ctx(i), user: `${name}-admin` } })),
    'current-context': name,
    preferences: {},
  };
  return stringify(config);
}
