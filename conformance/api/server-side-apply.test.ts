// Server-side apply with the real kubectl (1.33 and 1.27) against `k8ts up`: apply
// --server-side creating and re-applying, managedFields shown only with
// --show-managed-fields, a conflict with the replicas `kubectl scale` set and with a
// client-side apply, --force-conflicts taking ownership, the client-side to server-side
// upgrade, and a field dropped from the manifest dropped from the object.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';

const BIN = '/usr/lib/google-cloud-sdk/bin';
const VERSIONS = ['1.33', '1.27'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

const CONFLICT_ADVICE = `Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the \`--force-conflicts\` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
`;

function manifest(name: string, opts: { replicas: number; image?: string; tier?: boolean; minReadySeconds?: boolean; namespace: string }): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${opts.namespace}`,
    ...(opts.tier ? ['  labels:', '    tier: web'] : []),
    'spec:',
    `  replicas: ${opts.replicas}`,
    ...(opts.minReadySeconds ? ['  minReadySeconds: 5'] : []),
    '  selector:',
    '    matchLabels:',
    '      app: web',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: web',
    '    spec:',
    '      containers:',
    '      - name: nginx',
    `        image: ${opts.image ?? 'nginx'}`,
    '',
  ].join('\n');
}

function byManager(entries: Entry[] | undefined): Record<string, Entry> {
  return Object.fromEntries((entries ?? []).map((e) => [`${e.manager}/${e.operation}${e.subresource ? '/' + e.subresource : ''}`, e]));
}

const available = VERSIONS.filter((v) => existsSync(join(BIN, `kubectl.${v}`)));

describe('kubectl apply --server-side against k8ts up', { skip: available.length ? false : 'no kubectl binaries' }, () => {
  let k8ts: K8tsProcess;

  before(async () => {
    k8ts = await startK8ts();
  });
  after(async () => {
    await k8ts?.stop();
  });

  for (const version of available) {
    describe(`kubectl ${version}`, () => {
      const kubectlPath = join(BIN, `kubectl.${version}`);
      // kubectl's User-Agent starts with its binary name: the manager of its non-apply writes.
      const program = basename(kubectlPath);
      const ns = `ssa-${version.replace('.', '-')}`;
      const kubectl = (...args: string[]): Promise<Run> =>
        new Promise((resolve) => {
          execFile(kubectlPath, [`--cache-dir=${join(k8ts.dataDir, `kube-cache-${version}`)}`, ...args], { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          });
        });
      const write = (file: string, text: string): string => {
        const path = join(k8ts.dataDir, `${ns}-${file}`);
        writeFileSync(path, text);
        return path;
      };
      const getYaml = async (name: string, showManaged = true) => {
        const r = await kubectl('-n', ns, 'get', 'deployment', name, '-o', 'yaml', ...(showManaged ? ['--show-managed-fields'] : []));
        assert.equal(r.code, 0, r.stderr);
        return parseYaml(r.stdout) as { metadata: { resourceVersion: string; labels?: Record<string, string>; managedFields?: Entry[] }; spec: Record<string, unknown> };
      };

      before(async () => {
        const r = await kubectl('create', 'namespace', ns);
        assert.equal(r.code, 0, r.stderr);
      });

      it('creates with apply --server-side and re-applies without a change', async () => {
        const file = write('web.yaml', manifest('web', { replicas: 2, namespace: ns }));
        const created = await kubectl('apply', '--server-side', '-f', file);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(created.stdout, 'deployment.apps/web serverside-applied\n');
        assert.equal(created.stderr, '');
        const first = await getYaml('web');

        const again = await kubectl('apply', '--server-side', '-f', file);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.stdout, 'deployment.apps/web serverside-applied\n');
        const second = await getYaml('web');
        // (The deployment controller writes status and annotations meanwhile: owned by it, not by kubectl.)
        assert.deepEqual(byManager(second.metadata.managedFields)['kubectl/Apply'], byManager(first.metadata.managedFields)['kubectl/Apply'], 'an unchanged apply keeps the entry and its time');

        const plain = await getYaml('web', false);
        assert.equal(plain.metadata.managedFields, undefined, 'kubectl hides managedFields unless asked');
        const mine = byManager(second.metadata.managedFields)['kubectl/Apply']!;
        assert.equal(mine.apiVersion, 'apps/v1');
        assert.deepEqual(mine.fieldsV1, {
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        });
      });

      it('re-applies a ConfigMap without writing it', async () => {
        const file = write('cm.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
        const created = await kubectl('apply', '--server-side', '-f', file);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(created.stdout, 'configmap/applied serverside-applied\n');
        const rv = async () => (await kubectl('-n', ns, 'get', 'configmap', 'applied', '-o', 'jsonpath={.metadata.resourceVersion}')).stdout;
        const before = await rv();
        const again = await kubectl('apply', '--server-side', '-f', file);
        assert.equal(again.stdout, 'configmap/applied serverside-applied\n');
        assert.equal(await rv(), before, 'an unchanged apply writes nothing');
        const r = await kubectl('-n', ns, 'get', 'configmap', 'applied', '-o', 'yaml', '--show-managed-fields');
        const managed = (parseYaml(r.stdout) as { metadata: { managedFields: Entry[] } }).metadata.managedFields;
        assert.deepEqual(managed.map((e) => [e.manager, e.operation, e.apiVersion, e.fieldsV1]), [['kubectl', 'Apply', 'v1', { 'f:data': { 'f:a': {} } }]]);
      });

      it('conflicts on the replicas kubectl scale set, and --force-conflicts takes them', async () => {
        const scaled = await kubectl('-n', ns, 'scale', 'deployment', 'web', '--replicas=5');
        assert.equal(scaled.code, 0, scaled.stderr);
        assert.equal(scaled.stdout, 'deployment.apps/web scaled\n');
        const managed = byManager((await getYaml('web')).metadata.managedFields);
        assert.deepEqual(managed[`${program}/Update/scale`]?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });

        const file = write('web3.yaml', manifest('web', { replicas: 3, namespace: ns }));
        const conflict = await kubectl('apply', '--server-side', '-f', file);
        assert.equal(conflict.code, 1);
        assert.equal(conflict.stdout, '');
        assert.equal(conflict.stderr, `error: Apply failed with 1 conflict: conflict with "${program}" with subresource "scale" using apps/v1: .spec.replicas\n${CONFLICT_ADVICE}`);
        assert.equal((await getYaml('web')).spec.replicas, 5);

        const forced = await kubectl('apply', '--server-side', '--force-conflicts', '-f', file);
        assert.equal(forced.code, 0, forced.stderr);
        assert.equal(forced.stdout, 'deployment.apps/web serverside-applied\n');
        const after = await getYaml('web');
        assert.equal(after.spec.replicas, 3);
        const owners = byManager(after.metadata.managedFields);
        assert.equal(owners[`${program}/Update/scale`], undefined, 'the scaler lost its only field');
        assert.ok(JSON.stringify(owners['kubectl/Apply']!.fieldsV1).includes('"f:replicas"'), 'kubectl owns the replicas');
      });

      it('removes a field dropped from the manifest', async () => {
        const full = write('full.yaml', manifest('web', { replicas: 3, tier: true, minReadySeconds: true, namespace: ns }));
        const applied = await kubectl('apply', '--server-side', '-f', full);
        assert.equal(applied.code, 0, applied.stderr);
        const withFields = await getYaml('web');
        assert.deepEqual(withFields.metadata.labels, { tier: 'web' });
        assert.equal(withFields.spec.minReadySeconds, 5);

        const trimmed = write('trimmed.yaml', manifest('web', { replicas: 3, namespace: ns }));
        const again = await kubectl('apply', '--server-side', '-f', trimmed);
        assert.equal(again.code, 0, again.stderr);
        const without = await getYaml('web');
        assert.equal(without.metadata.labels, undefined);
        assert.equal(without.spec.minReadySeconds, undefined);
        assert.equal(without.spec.replicas, 3);
      });

      it('conflicts with a client-side apply for another manager; kubectl itself upgrades', async () => {
        const csa = write('csa.yaml', manifest('csa', { replicas: 2, namespace: ns }));
        const created = await kubectl('apply', '-f', csa);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(created.stdout, 'deployment.apps/csa created\n');
        assert.ok(byManager((await getYaml('csa')).metadata.managedFields)['kubectl-client-side-apply/Update'], 'client-side apply records its Update');

        const three = write('csa3.yaml', manifest('csa', { replicas: 3, namespace: ns }));
        const other = await kubectl('apply', '--server-side', '--field-manager=deployer', '-f', three);
        assert.equal(other.code, 1);
        assert.equal(other.stderr, `error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas\n${CONFLICT_ADVICE}`);

        const upgraded = await kubectl('apply', '--server-side', '-f', three);
        assert.equal(upgraded.code, 0, upgraded.stderr);
        assert.equal(upgraded.stdout, 'deployment.apps/csa serverside-applied\n');
        const after = await getYaml('csa');
        assert.equal(after.spec.replicas, 3);
        const owners = byManager(after.metadata.managedFields);
        assert.ok(owners['kubectl/Apply'], 'kubectl now applies server-side');
        assert.equal(owners['kubectl-client-side-apply/Update'], undefined, 'kubectl migrated the client-side apply entry');
      });

      it('records kubectl create, label and edit-like writes by their field managers', async () => {
        const created = await kubectl('-n', ns, 'create', 'configmap', 'cm', '--from-literal=a=1');
        assert.equal(created.code, 0, created.stderr);
        const labeled = await kubectl('-n', ns, 'label', 'configmap', 'cm', 'x=y');
        assert.equal(labeled.code, 0, labeled.stderr);
        const r = await kubectl('-n', ns, 'get', 'configmap', 'cm', '-o', 'json', '--show-managed-fields');
        const managed = byManager((JSON.parse(r.stdout) as { metadata: { managedFields: Entry[] } }).metadata.managedFields);
        assert.deepEqual(managed['kubectl-create/Update']!.fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
        assert.deepEqual(managed['kubectl-label/Update']!.fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } });
      });
    });
  }
});
