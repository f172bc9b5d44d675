// One kubectl scenario against `k8ts up`, run with every kubectl 1.27 … 1.33 on the machine (a
// subtest per version, each in its own namespace, one server for all). Every step checks what
// kubectl prints against what it prints for a real cluster: apply (created / unchanged /
// configured), get in its output forms, get -w, describe, label, annotate, patch (three types),
// edit, scale, diff, explain, api-resources, api-versions, get --raw, auth whoami, strict field
// validation, delete -f and namespace deletion. Then the same scenario (one kubectl) against a
// replicated control plane, `k8ts up --servers 3`, whose server kubectl uses — made the store's
// Raft leader first — is killed halfway; the user switches to another server's context.
// No workload controller runs yet (Deployments create no ReplicaSets or Pods), so the values
// those write (ready replicas, endpoints) are checked for their format only.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { etcdClient } from '../support/k8ts-cluster.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const KUBECTL_DIR = process.env.KUBECTL_DIR ?? '/usr/lib/google-cloud-sdk/bin';
const MINORS = [27, 28, 29, 30, 31, 32, 33];
const binaryOf = (minor: number) => join(KUBECTL_DIR, `kubectl.1.${minor}`);
const present = MINORS.filter((m) => existsSync(binaryOf(m)));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const deployment = (replicas: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: ${replicas}
${extra}  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
`;

const rest = (color: string) => `apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels:
    app: web
data:
  color: ${color}
  size: large
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  labels:
    app: web
type: Opaque
data:
  password: czNjcmV0
`;

const MANIFEST_V1 = `${deployment(2)}---\n${rest('blue')}`;
const MANIFEST_V2 = `${deployment(3)}---\n${rest('red')}`;
const MANIFEST_V3 = `${deployment(4)}---\n${rest('purple')}`;

const ageRe = '\\d+(?:s|m\\d*s?)';
const ipv4 = /^10\.(9[6-9]|10\d|11[01])\.\d{1,3}\.\d{1,3}$/;

/**
 * Where the scenario runs: `k8ts up` with every kubectl, and a replicated control plane
 * (`k8ts up --servers 3`) with one kubectl, where the server the kubeconfig names is killed
 * (kill -9) halfway and the scenario goes on through another, as a user would: by switching
 * to that server's context.
 */
interface Variant {
  title: string;
  minors: number[];
  upArgs: string[];
  startTimeoutMs: number;
  halfway?: (ctx: { output: string; kubectl: (...args: string[]) => Promise<Run> }) => Promise<void>;
}

const VARIANTS: Variant[] = [
  { title: 'one kubectl scenario with every kubectl 1.27 … 1.33', minors: MINORS, upArgs: [], startTimeoutMs: 60_000 },
  {
    title: 'the kubectl scenario against k8ts up --servers 3, its server killed halfway (kubectl 1.33)',
    minors: [33],
    upArgs: ['--servers', '3'],
    startTimeoutMs: 120_000,
    async halfway({ output, kubectl }) {
      const s1 = /^\s+s1\s+https:\S+\s+etcd API http:\/\/(\S+)\s.* pid (\d+)$/m.exec(output);
      assert.ok(s1, `no line for s1 in:\n${output}`);
      // Make s1 the store's Raft leader too (etcd's MoveLeader), so that the kill takes out the
      // API server kubectl uses and the store leader at once.
      const c = etcdClient(s1[1]!);
      try {
        const { members } = (await c.memberList()) as { members: Array<{ ID: string; name: string }> };
        await c.call('Maintenance', 'MoveLeader', { targetID: members.find((m) => m.name === 's1')!.ID });
      } finally {
        c.close();
      }
      const pid = Number(s1[2]);
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          process.kill(pid, 0);
        } catch {
          break; // gone
        }
        assert.ok(Date.now() < deadline, 's1 did not die');
        await new Promise((r) => setTimeout(r, 20));
      }
      const r = await kubectl('config', 'use-context', 'k8ts-s2');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Switched to context "k8ts-s2".\n');
    },
  },
];

for (const variant of VARIANTS) describe(variant.title, { skip: !variant.minors.some((m) => present.includes(m)) ? `no ${KUBECTL_DIR}/kubectl.1.{${variant.minors.join(',')}}` : false }, () => {
  let dir: string;
  let child: ChildProcess;
  let output = '';
  let kubeconfig: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'k8ts-scenario-'));
    const port = await freePort();
    child = spawn(process.execPath, [join(repo, 'bin/k8ts.js'), 'up', '--data-dir', join(dir, 'data'), '--port', String(port), ...variant.upArgs], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + variant.startTimeoutMs;
    while (!output.includes('kubectl get ns')) {
      if (child.exitCode !== null) assert.fail(`k8ts up exited early (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) assert.fail(`k8ts up did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    kubeconfig = join(dir, 'data', 'kubeconfig');
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i -e "s/color: red/color: green/" "$1"\n');
    chmodSync(editor, 0o755);
  });

  after(async () => {
    if (child && child.exitCode === null && child.pid) {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      process.kill(child.pid, 'SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
      if (code === 'timeout') process.kill(child.pid, 'SIGKILL');
      else assert.equal(code, 0, `k8ts up did not stop cleanly:\n${output}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const minor of variant.minors) {
    const version = `1.${minor}`;
    it(`kubectl ${version}`, { skip: present.includes(minor) ? false : `${binaryOf(minor)} not installed` }, async (t) => {
      await scenario(t, minor);
    });
  }

  async function scenario(t: TestContext, minor: number): Promise<void> {
    const ns = `scenario-1-${minor}`;
    const work = join(dir, `v${minor}`);
    mkdirSync(work);
    const file = (name: string, text: string) => {
      const p = join(work, name);
      writeFileSync(p, text);
      return p;
    };
    const v1 = file('web-v1.yaml', MANIFEST_V1);
    const v2 = file('web-v2.yaml', MANIFEST_V2);
    const v3 = file('web-v3.yaml', MANIFEST_V3);
    const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, KUBE_EDITOR: join(dir, 'editor.sh') };
    delete env.KUBECTL_EXTERNAL_DIFF;
    const base = [`--cache-dir=${join(work, 'cache')}`];
    const kubectl = (...args: string[]): Promise<Run> =>
      new Promise((resolve) => {
        execFile(binaryOf(minor), [...base, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
    /** Runs kubectl -n <ns> and expects success without anything on stderr. */
    const ok = async (...args: string[]): Promise<string> => {
      const r = await kubectl('-n', ns, ...args);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
      assert.equal(r.stderr, '', `kubectl ${args.join(' ')} wrote to stderr`);
      return r.stdout;
    };
    const jsonpath = (what: string[], path: string) => ok('get', ...what, '-o', `jsonpath=${path}`);
    const noCrash = (r: Run) => {
      for (const s of [r.stdout, r.stderr]) assert.doesNotMatch(s, /panic|goroutine \d|\.go:\d+|runtime error|invalid memory address/, 'kubectl crashed');
    };

    await t.test('create namespace', async () => {
      const r = await kubectl('create', 'namespace', ns);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `namespace/${ns} created\n`);
      assert.match(await ok('get', 'namespace', ns), new RegExp(`^NAME\\s+STATUS\\s+AGE\\n${ns}\\s+Active\\s+${ageRe}\\n$`));
    });

    await t.test('create with typed requests (protobuf bodies from kubectl 1.32 on)', async () => {
      assert.equal(await ok('create', 'configmap', 'typed', '--from-literal=k=v'), 'configmap/typed created\n');
      assert.equal(await ok('create', 'secret', 'generic', 'typed', '--from-literal=password=s3cret'), 'secret/typed created\n');
      assert.equal(await jsonpath(['configmap', 'typed'], '{.data.k}'), 'v');
      assert.equal(await jsonpath(['secret', 'typed'], '{.data.password}'), Buffer.from('s3cret').toString('base64'));
      const again = await kubectl('-n', ns, 'create', 'configmap', 'typed', '--from-literal=k=v');
      assert.equal(again.code, 1);
      assert.equal(again.stderr, 'error: failed to create configmap: configmaps "typed" already exists\n');
      assert.equal(await ok('delete', 'configmap,secret', 'typed'), 'configmap "typed" deleted\nsecret "typed" deleted\n');
    });

    await t.test('apply creates every object of a multi-document manifest', async () => {
      assert.equal(await ok('apply', '-f', v1), 'deployment.apps/web created\nservice/web created\nconfigmap/web-config created\nsecret/web-secret created\n');
    });

    await t.test('apply again: every object unchanged', async () => {
      assert.equal(await ok('apply', '-f', v1), 'deployment.apps/web unchanged\nservice/web unchanged\nconfigmap/web-config unchanged\nsecret/web-secret unchanged\n');
    });

    await t.test('apply a changed manifest: configured for the changed objects only', async () => {
      assert.equal(await ok('apply', '-f', v2), 'deployment.apps/web configured\nservice/web unchanged\nconfigmap/web-config configured\nsecret/web-secret unchanged\n');
      assert.equal(await jsonpath(['deployment', 'web'], '{.spec.replicas}'), '3');
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.data.color}'), 'red');
      const applied = JSON.parse(await jsonpath(['deployment', 'web'], '{.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}'));
      assert.equal(applied.spec.replicas, 3);
      assert.equal(await jsonpath(['deployment', 'web'], '{.metadata.generation}'), '2');
    });

    await t.test('diff: 0 without changes, 1 with a diff for a changed manifest', async () => {
      const same = await kubectl('-n', ns, 'diff', '-f', v2);
      assert.equal(same.code, 0, same.stderr);
      assert.equal(same.stdout, '');
      const changed = await kubectl('-n', ns, 'diff', '-f', v3);
      assert.equal(changed.code, 1, changed.stderr);
      assert.equal(changed.stderr, '');
      assert.match(changed.stdout, new RegExp(`^diff -u -N \\S+/apps\\.v1\\.Deployment\\.${ns}\\.web \\S+/apps\\.v1\\.Deployment\\.${ns}\\.web$`, 'm'));
      assert.match(changed.stdout, /^-  replicas: 3$/m);
      assert.match(changed.stdout, /^\+  replicas: 4$/m);
      assert.match(changed.stdout, /^-  color: red$/m);
      assert.match(changed.stdout, /^\+  color: purple$/m);
      assert.doesNotMatch(changed.stdout, /Service|Secret/, 'unchanged objects are not in the diff');
      // diff is a dry run: nothing changed.
      assert.equal(await jsonpath(['deployment', 'web'], '{.spec.replicas}'), '3');
    });

    let clusterIP = '';
    await t.test('get -o wide shows the columns of a real cluster', async () => {
      const out = await ok('get', 'deployment,service,configmap,secret', '-o', 'wide', '-l', 'app=web');
      const blocks = out.trimEnd().split('\n\n');
      assert.equal(blocks.length, 4, out);
      assert.match(blocks[0]!, new RegExp(`^NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE\\s+CONTAINERS\\s+IMAGES\\s+SELECTOR\\ndeployment\\.apps/web\\s+\\d+/3\\s+\\d+\\s+\\d+\\s+${ageRe}\\s+nginx\\s+nginx:1\\.25\\s+app=web$`));
      const svc = new RegExp(`^NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE\\s+SELECTOR\\nservice/web\\s+ClusterIP\\s+(\\S+)\\s+<none>\\s+80/TCP\\s+${ageRe}\\s+app=web$`).exec(blocks[1]!);
      assert.ok(svc, blocks[1]);
      clusterIP = svc[1]!;
      assert.match(clusterIP, ipv4, 'a cluster IP from the service CIDR');
      assert.match(blocks[2]!, new RegExp(`^NAME\\s+DATA\\s+AGE\\nconfigmap/web-config\\s+2\\s+${ageRe}$`));
      assert.match(blocks[3]!, new RegExp(`^NAME\\s+TYPE\\s+DATA\\s+AGE\\nsecret/web-secret\\s+Opaque\\s+1\\s+${ageRe}$`));
    });

    await t.test('get -o yaml', async () => {
      const d = parseYaml(await ok('get', 'deployment', 'web', '-o', 'yaml'));
      assert.equal(d.apiVersion, 'apps/v1');
      assert.equal(d.kind, 'Deployment');
      assert.equal(d.metadata.name, 'web');
      assert.equal(d.metadata.namespace, ns);
      assert.match(d.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.match(d.metadata.resourceVersion, /^\d+$/);
      assert.match(d.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(d.metadata.managedFields, undefined, 'managedFields are hidden by default');
      assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
      assert.equal(d.spec.revisionHistoryLimit, 10);
      assert.equal(d.spec.progressDeadlineSeconds, 600);
      const c = d.spec.template.spec.containers[0];
      assert.deepEqual(c, {
        name: 'nginx',
        image: 'nginx:1.25',
        imagePullPolicy: 'IfNotPresent',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      });
      assert.equal(d.spec.template.spec.restartPolicy, 'Always');
      assert.equal(d.spec.template.spec.dnsPolicy, 'ClusterFirst');
      const svc = parseYaml(await ok('get', 'service', 'web', '-o', 'yaml'));
      assert.equal(svc.spec.clusterIP, clusterIP);
      assert.deepEqual(svc.spec.clusterIPs, [clusterIP]);
      assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
      assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
      assert.equal(svc.spec.sessionAffinity, 'None');
      assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
      assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }]);
      const secret = parseYaml(await ok('get', 'secret', 'web-secret', '-o', 'yaml'));
      assert.deepEqual(secret.data, { password: 'czNjcmV0' });
      assert.equal(secret.type, 'Opaque');
    });

    await t.test('get -o jsonpath', async () => {
      assert.equal(await jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[0].image}'), 'nginx:1.25');
      assert.equal(await jsonpath(['configmaps', '-l', 'app=web'], '{range .items[*]}{.metadata.name}={.data.size}{"\\n"}{end}'), 'web-config=large\n');
      assert.equal(await jsonpath(['service', 'web'], '{.spec.clusterIP}'), clusterIP);
    });

    await t.test('get --show-labels, -l, --field-selector', async () => {
      assert.match(await ok('get', 'deployment', '--show-labels'), new RegExp(`^NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE\\s+LABELS\\nweb\\s+\\d+/3\\s+\\d+\\s+\\d+\\s+${ageRe}\\s+app=web\\n$`));
      assert.equal(await ok('get', 'deployment,service,configmap,secret', '-l', 'app=web', '-o', 'name'), 'deployment.apps/web\nservice/web\nconfigmap/web-config\nsecret/web-secret\n');
      const none = await kubectl('-n', ns, 'get', 'configmaps', '-l', 'app=nothing');
      assert.equal(none.code, 0);
      assert.equal(none.stdout, '');
      assert.equal(none.stderr, `No resources found in ${ns} namespace.\n`);
      assert.match(await ok('get', 'configmaps', '--field-selector', 'metadata.name=web-config'), new RegExp(`^NAME\\s+DATA\\s+AGE\\nweb-config\\s+2\\s+${ageRe}\\n$`));
      const bad = await kubectl('-n', ns, 'get', 'configmaps', '--field-selector', 'spec.nothing=x');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /^Error from server \(BadRequest\): Unable to find "\/v1, Resource=configmaps" that match label selector "", field selector "spec\.nothing=x": field label not supported: spec\.nothing\n$/);
    });

    await t.test('get -A', async () => {
      const out = await ok('get', 'deployments', '-A');
      assert.match(out, /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
      assert.match(out, new RegExp(`^${ns}\\s+web\\s+\\d+/3\\s+\\d+\\s+\\d+\\s+${ageRe}$`, 'm'));
      assert.match(await ok('get', 'namespaces', '-A'), new RegExp(`^${ns}\\s+Active\\s+${ageRe}$`, 'm'));
      const services = await ok('get', 'services', '-A');
      assert.match(services, /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
      assert.match(services, new RegExp(`^default\\s+kubernetes\\s+ClusterIP\\s+10\\.96\\.0\\.1\\s+<none>\\s+443/TCP\\s+${ageRe}$`, 'm'));
      assert.match(services, new RegExp(`^${ns}\\s+web\\s+ClusterIP\\s+${clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP\\s+${ageRe}$`, 'm'));
    });

    await t.test('get -w receives a change', async () => {
      const watcher = spawn(binaryOf(minor), [...base, '-n', ns, 'get', 'configmap', 'web-config', '-w'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      watcher.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      watcher.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<void>((r) => watcher.once('exit', () => r()));
      const until = async (cond: () => boolean, what: string) => {
        const deadline = Date.now() + 20_000;
        while (!cond()) {
          if (watcher.exitCode !== null) assert.fail(`kubectl get -w exited (${watcher.exitCode}) before ${what}:\n${out}${err}`);
          if (Date.now() > deadline) assert.fail(`kubectl get -w: no ${what}:\n${out}${err}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      try {
        await until(() => /^web-config\s+2\s+/m.test(out), 'first row');
        assert.match(out, new RegExp(`^NAME\\s+DATA\\s+AGE\\nweb-config\\s+2\\s+${ageRe}\\n$`));
        assert.equal(await ok('patch', 'configmap', 'web-config', '--type', 'merge', '-p', '{"data":{"watched":"yes"}}'), 'configmap/web-config patched\n');
        await until(() => /^web-config\s+3\s+/m.test(out), 'row for the change');
        assert.match(out, new RegExp(`^NAME\\s+DATA\\s+AGE\\nweb-config\\s+2\\s+${ageRe}\\nweb-config\\s+3\\s+${ageRe}\\n$`));
        assert.equal(err, '');
      } finally {
        if (watcher.exitCode === null && watcher.pid) process.kill(watcher.pid, 'SIGTERM');
        await exited;
      }
    });

    if (variant.halfway) {
      await t.test('halfway: kill -9 the server kubectl talks to, switch to another server', () => variant.halfway!({ output, kubectl }));
    }

    await t.test('describe deployment, service, configmap', async () => {
      const d = await ok('describe', 'deployment', 'web');
      assert.match(d, /^Name:\s+web$/m);
      assert.match(d, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
      assert.match(d, /^CreationTimestamp:\s+\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/m);
      assert.match(d, /^Labels:\s+app=web$/m);
      assert.match(d, /^Selector:\s+app=web$/m);
      assert.match(d, /^Replicas:\s+3 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$/m);
      assert.match(d, /^StrategyType:\s+RollingUpdate$/m);
      assert.match(d, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
      assert.match(d, /^Pod Template:\n\s+Labels:\s+app=web\n\s+Containers:\n\s+nginx:\n\s+Image:\s+nginx:1\.25\n\s+Port:\s+80\/TCP$/m);
      const s = await ok('describe', 'service', 'web');
      assert.match(s, /^Name:\s+web$/m);
      assert.match(s, /^Selector:\s+app=web$/m);
      assert.match(s, /^Type:\s+ClusterIP$/m);
      assert.match(s, /^IP Family Policy:\s+SingleStack$/m);
      assert.match(s, /^IP Families:\s+IPv4$/m);
      assert.match(s, new RegExp(`^IP:\\s+${clusterIP.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(s, new RegExp(`^IPs:\\s+${clusterIP.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(s, /^Port:\s+http\s+80\/TCP$/m);
      assert.match(s, /^TargetPort:\s+80\/TCP$/m);
      assert.match(s, /^Session Affinity:\s+None$/m);
      const c = await ok('describe', 'configmap', 'web-config');
      assert.match(c, /^Name:\s+web-config$/m);
      assert.match(c, /^Labels:\s+app=web$/m);
      // kubectl 1.31+ lists the keys in map order, not sorted.
      assert.match(c, /^Data\n====\n/m);
      assert.match(c, /^color:\n----\nred\n/m);
      assert.match(c, /^size:\n----\nlarge\n/m);
      assert.match(c, /^BinaryData\n====\n/m);
    });

    await t.test('label and annotate: add, refuse without --overwrite, overwrite, remove', async () => {
      assert.equal(await ok('label', 'configmap', 'web-config', 'tier=frontend'), 'configmap/web-config labeled\n');
      const again = await kubectl('-n', ns, 'label', 'configmap', 'web-config', 'tier=backend');
      assert.equal(again.code, 1);
      assert.equal(again.stderr, "error: 'tier' already has a value (frontend), and --overwrite is false\n");
      assert.equal(await ok('label', 'configmap', 'web-config', 'tier=backend', '--overwrite'), 'configmap/web-config labeled\n');
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.metadata.labels.tier}'), 'backend');
      assert.equal(await ok('get', 'configmaps', '-l', 'tier=backend', '-o', 'name'), 'configmap/web-config\n');
      assert.equal(await ok('label', 'configmap', 'web-config', 'tier-'), 'configmap/web-config unlabeled\n');
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.metadata.labels}'), '{"app":"web"}');

      // kubectl 1.27 says "annotate" (its own wording, fixed in 1.28).
      const annotated = `configmap/web-config ${minor === 27 ? 'annotate' : 'annotated'}\n`;
      assert.equal(await ok('annotate', 'configmap', 'web-config', 'owner=team-a'), annotated);
      const annotateAgain = await kubectl('-n', ns, 'annotate', 'configmap', 'web-config', 'owner=team-b');
      assert.equal(annotateAgain.code, 1);
      assert.equal(annotateAgain.stderr, "error: --overwrite is false but found the following declared annotation(s): 'owner' already has a value (team-a)\n");
      assert.equal(await ok('annotate', 'configmap', 'web-config', 'owner=team-b', '--overwrite'), annotated);
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.metadata.annotations.owner}'), 'team-b');
      assert.equal(await ok('annotate', 'configmap', 'web-config', 'owner-'), annotated);
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.metadata.annotations.owner}'), '');
    });

    await t.test('patch --type strategic | merge | json', async () => {
      assert.equal(
        await ok('patch', 'deployment', 'web', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}'),
        'deployment.apps/web patched\n',
      );
      // The strategic merge kept the container's other fields (merge key: name).
      const c = JSON.parse(await jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[0]}'));
      assert.equal(c.image, 'nginx:1.26');
      assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
      assert.equal(
        await ok('patch', 'deployment', 'web', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}'),
        'deployment.apps/web patched (no change)\n',
      );
      assert.equal(await ok('patch', 'configmap', 'web-config', '--type', 'merge', '-p', '{"data":{"size":"small","watched":null}}'), 'configmap/web-config patched\n');
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.data}'), '{"color":"red","size":"small"}');
      assert.equal(
        await ok('patch', 'configmap', 'web-config', '--type', 'json', '-p', '[{"op":"add","path":"/data/shape","value":"round"},{"op":"remove","path":"/data/size"}]'),
        'configmap/web-config patched\n',
      );
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.data}'), '{"color":"red","shape":"round"}');
      const failed = await kubectl('-n', ns, 'patch', 'configmap', 'web-config', '--type', 'json', '-p', '[{"op":"test","path":"/data/color","value":"blue"}]');
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /^The request is invalid: the server rejected our request due to an error in our request\n$|^Error from server/);
    });

    await t.test('edit with KUBE_EDITOR', async () => {
      assert.equal(await ok('edit', 'configmap', 'web-config'), 'configmap/web-config edited\n');
      assert.equal(await jsonpath(['configmap', 'web-config'], '{.data.color}'), 'green');
      // Nothing to change the second time.
      const again = await kubectl('-n', ns, 'edit', 'configmap', 'web-config');
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, '');
      assert.equal(again.stderr, 'Edit cancelled, no changes made.\n');
    });

    await t.test('scale', async () => {
      assert.equal(await ok('scale', 'deployment', 'web', '--replicas=5'), 'deployment.apps/web scaled\n');
      assert.match(await ok('get', 'deployment', 'web'), new RegExp(`^NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE\\nweb\\s+\\d+/5\\s+\\d+\\s+\\d+\\s+${ageRe}\\n$`));
      assert.equal(await jsonpath(['deployment', 'web'], '{.spec.replicas}'), '5');
      const wrong = await kubectl('-n', ns, 'scale', 'deployment', 'web', '--replicas=6', '--current-replicas=4');
      assert.equal(wrong.code, 1);
      assert.equal(wrong.stderr, 'error: Expected replicas to be 4, was 5\n');
    });

    await t.test('explain deployment.spec.template.spec.containers', async () => {
      const out = await ok('explain', 'deployment.spec.template.spec.containers');
      // kubectl 1.27 and 1.28 print VERSION: apps/v1; later ones GROUP: apps and VERSION: v1.
      assert.match(out, /^(GROUP:\s+apps\n)?KIND:\s+Deployment\nVERSION:\s+(apps\/)?v1\n/m);
      assert.match(out, /^FIELD:\s+containers <\[\]Container>$/m);
      assert.match(out, /^FIELDS:$/m);
      assert.match(out, /^\s+image\s+<string>$/m);
      assert.match(out, /^\s+name\s+<string>( -required-)?$/m);
      assert.match(out, /^\s+ports\s+<\[\]ContainerPort>$/m);
    });

    await t.test('api-resources and api-versions', async () => {
      const res = await ok('api-resources');
      assert.match(res, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/m);
      assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      assert.match(res, /^services\s+svc\s+v1\s+true\s+Service$/m);
      assert.match(res, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
      assert.equal(await ok('api-resources', '--api-group=apps', '-o', 'name'), 'controllerrevisions.apps\ndaemonsets.apps\ndeployments.apps\nreplicasets.apps\nstatefulsets.apps\n');
      const versions = (await ok('api-versions')).trimEnd().split('\n');
      for (const gv of ['apps/v1', 'batch/v1', 'v1', 'rbac.authorization.k8s.io/v1', 'networking.k8s.io/v1']) assert.ok(versions.includes(gv), `api-versions lists ${gv}`);
      assert.deepEqual(versions, [...versions].sort(), 'api-versions are sorted');
    });

    await t.test('get --raw /apis', async () => {
      const r = await kubectl('get', '--raw', '/apis');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.kind, 'APIGroupList');
      const apps = doc.groups.find((g: { name: string }) => g.name === 'apps');
      assert.deepEqual(apps.preferredVersion, { groupVersion: 'apps/v1', version: 'v1' });
    });

    await t.test('auth whoami', async () => {
      const r = await kubectl('auth', 'whoami');
      noCrash(r);
      if (minor === 27) {
        // kubectl 1.27 knows only the v1alpha1/v1beta1 SelfSubjectReview, which a 1.30 server does not serve.
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr,
          'error: the selfsubjectreviews API is not enabled in the cluster\nenable APISelfSubjectReview feature gate and authentication.k8s.io/v1alpha1 or authentication.k8s.io/v1beta1 API\n',
        );
      } else {
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^ATTRIBUTE\s+VALUE\nUsername\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]\n$/);
      }
    });

    await t.test('a mistyped field is rejected, naming the field', async () => {
      const created = await kubectl('-n', ns, 'apply', '-f', file('typo-new.yaml', deployment(3).replace(/name: web\n  labels/, 'name: web-typo\n  labels').replace('replicas: 3', 'replica: 3')));
      assert.equal(created.code, 1);
      assert.equal(created.stdout, '');
      assert.equal(
        created.stderr,
        `Error from server (BadRequest): error when creating "${join(work, 'typo-new.yaml')}": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"\n`,
      );
      const patched = await kubectl('-n', ns, 'apply', '-f', file('typo.yaml', deployment(3).replace('replicas: 3', 'replica: 3')));
      assert.equal(patched.code, 1);
      assert.match(patched.stderr, /error when patching ".*typo\.yaml": .*strict decoding error: unknown field "spec\.replica"\n$/);
      const gone = await kubectl('-n', ns, 'get', 'deployment', 'web-typo');
      assert.equal(gone.stderr, 'Error from server (NotFound): deployments.apps "web-typo" not found\n');
      assert.equal(await jsonpath(['deployment', 'web'], '{.spec.replicas}'), '5', 'the rejected apply changed nothing');
    });

    await t.test('delete -f removes the objects', async () => {
      assert.equal(await ok('delete', '-f', v2), 'deployment.apps "web" deleted\nservice "web" deleted\nconfigmap "web-config" deleted\nsecret "web-secret" deleted\n');
      const gone = await kubectl('-n', ns, 'get', '-f', v2);
      assert.equal(gone.code, 1);
      assert.equal(
        gone.stderr,
        'Error from server (NotFound): deployments.apps "web" not found\nError from server (NotFound): services "web" not found\nError from server (NotFound): configmaps "web-config" not found\nError from server (NotFound): secrets "web-secret" not found\n',
      );
      const none = await kubectl('-n', ns, 'get', 'deployment,service,secret', '-l', 'app=web');
      assert.equal(none.stderr, `No resources found in ${ns} namespace.\n`);
    });

    await t.test('delete namespace waits until it is gone', async () => {
      const r = await kubectl('delete', 'namespace', ns, '--timeout=60s');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `namespace "${ns}" deleted\n`);
      const gone = await kubectl('get', 'namespace', ns);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr, `Error from server (NotFound): namespaces "${ns}" not found\n`);
    });
  }
});
