// Pod streams end to end with every real kubectl from 1.27 to 1.33: logs, exec (with stdin,
// under a terminal), attach, port-forward and cp through `k8ts up`'s API server to a node agent's
// kubelet endpoint. The agent is a test double (conformance/support/test-kubelet.ts) whose
// containers are host processes, so these tests depend on no real runtime. Each version's
// transport is checked from its own verbose output: exec over SPDY/3.1 up to 1.29 and over
// WebSocket (v5.channel.k8s.io) from 1.30; port-forward over SPDY up to 1.30 and over SPDY
// tunnelled in a WebSocket from 1.31, with no fallback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor, type Kubectl } from '../support/kubectl.ts';
import { containerPath, startTestKubelet, type TestKubelet } from '../support/test-kubelet.ts';

const bin = (v: string) => `/usr/lib/google-cloud-sdk/bin/kubectl.${v}`;
const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];
const minor = (v: string) => Number(v.split('.')[1]);
/** What a kubectl's verbose output shows it asked for. */
const execTransport = (v: string) => (minor(v) >= 30 ? 'Sec-Websocket-Protocol: v5.channel.k8s.io' : 'X-Stream-Protocol-Version: v4.channel.k8s.io');
const portForwardTransport = (v: string) => (minor(v) >= 31 ? 'Sec-Websocket-Protocol: SPDY/3.1+portforward.k8s.io' : 'X-Stream-Protocol-Version: portforward.k8s.io');
const BIG = randomBytes(1 << 20);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A long-running kubectl (logs -f, port-forward), its output collected. */
function spawnKubectl(k8ts: K8tsProcess, v: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(bin(v), args, { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, out: () => out };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function httpGet(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** `kubectl port-forward pod/web :<remote>`, resolving with the local port it listens on. */
async function portForward(k8ts: K8tsProcess, v: string, remote: number): Promise<{ port: number; child: ChildProcess; out: () => string }> {
  const pf = spawnKubectl(k8ts, v, ['port-forward', 'pod/web', `:${remote}`, '-v=7']);
  const m = await eventually(`kubectl ${v} port-forward to listen`, async () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(pf.out()) ?? (pf.child.exitCode !== null ? assert.fail(pf.out()) : undefined), 20_000);
  return { port: Number(m[1]), ...pf };
}

/** A shell command line (for `script -c`). */
const shellLine = (args: string[]) => args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

describe('pod streams with kubectl', () => {
  let k8ts: K8tsProcess;
  let kubelet: TestKubelet;
  let web: Server;
  let webPort: number;
  const kc = (v: string): Kubectl => kubectlFor(() => k8ts, bin(v));

  before(async () => {
    web = createServer((req, res) => res.end(req.url === '/big' ? BIG : 'hello from the pod\n'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as AddressInfo).port;
    k8ts = await startK8ts({ args: ['--no-scheduler'] });
    kubelet = await startTestKubelet(k8ts, kc('1.33'));
    await kubelet.runPod('web', { main: 'i=1; while [ $i -le 5 ]; do echo line $i; i=$((i+1)); done; while true; do echo tick; sleep 0.2; done' }, [webPort]);
    await kubelet.runPod('two', { a: 'echo from a; exec sleep 600', b: 'echo from b; echo b-err >&2; exec sleep 600' });
    // The pod's log has its first lines before any test reads it.
    await eventually('the first log lines', async () => readFileSync(kubelet.streams.containers.get('default/web/main')!.log, 'utf8').includes('line 5'));
  });
  after(async () => {
    await kubelet?.stop();
    await k8ts?.stop();
    web?.close();
  });

  for (const v of VERSIONS) {
    describe(`kubectl ${v}`, () => {
      it('logs: the whole log, a container of several, --tail and --timestamps', async () => {
        const k = kc(v);
        const all = await k.ok('logs', 'web');
        assert.match(all, /^line 1\nline 2\nline 3\nline 4\nline 5\n(tick\n)*/);
        assert.equal(await k.ok('logs', 'two', '-c', 'b'), 'from b\nb-err\n');
        const tail = (await k.ok('logs', 'two', '-c', 'b', '--tail=1')).split('\n');
        assert.deepEqual(tail, ['b-err', '']);
        const stamped = await k.ok('logs', 'two', '-c', 'a', '--timestamps');
        assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z from a\n$/);
        assert.equal(await k.ok('logs', 'web', '--limit-bytes=9'), 'line 1\nli');
      });

      it('logs -f streams lines as they are written', async () => {
        const f = spawnKubectl(k8ts, v, ['logs', '-f', 'web', '--tail=1']);
        try {
          // A tick every 200 ms: following shows new ones after the one --tail picked.
          await eventually('followed lines', async () => (f.out().match(/tick\n/g) ?? []).length >= 4, 20_000);
          assert.equal(f.child.exitCode, null, 'still following');
        } finally {
          await stop(f.child);
        }
      });

      it(`exec: stdout, stderr and the exit code (${minor(v) >= 30 ? 'WebSocket' : 'SPDY'})`, async () => {
        const r = await kc(v).run('exec', '-v=7', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3');
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stdout, 'out\n');
        assert.match(r.stderr, /^err$/m);
        assert.match(r.stderr, /command terminated with exit code 3/);
        assert.ok(r.stderr.includes(execTransport(v)), r.stderr);
        assert.doesNotMatch(r.stderr, /fallback/i);
      });

      it('exec -i: stdin reaches the command and its end ends the command', async () => {
        const child = spawn(bin(v), ['exec', '-i', 'web', '--', 'sh', '-c', 'wc -c; echo done'], { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig } });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stdin.end(Buffer.alloc(100_000, 'x'));
        const code = await new Promise((r) => child.once('exit', r));
        assert.equal(code, 0);
        assert.equal(out.trim().split(/\s+/).join(' '), '100000 done');
      });

      it('exec -it under a pseudo-terminal: a terminal inside, its size sent, typed input, the exit code', async () => {
        const before = kubelet.streams.resizes.length;
        const line = `stty cols 123 rows 45; ${shellLine([bin(v), 'exec', '-it', 'web', '--', 'sh', '-c', 'tty; read x; echo "got $x"; exit 4'])}`;
        const child = spawn('script', ['-qec', line, '/dev/null'], { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        const exited = new Promise((r) => child.once('exit', r));
        // Typed once the command runs in its terminal (kubectl sent the size before that).
        await eventually('the terminal inside', async () => /\/dev\/pts\/\d+\r\n/.test(out), 20_000);
        child.stdin.write('hello\r');
        assert.equal(await exited, 4, out);
        assert.match(out, /got hello\r\n/);
        assert.ok(kubelet.streams.resizes.slice(before).some((s) => s.width === 123 && s.height === 45), JSON.stringify(kubelet.streams.resizes));
      });

      it('attach: the running container output', async () => {
        const a = spawnKubectl(k8ts, v, ['attach', 'web']);
        try {
          await eventually('attached output', async () => (a.out().match(/tick\n/g) ?? []).length >= 2, 20_000);
        } finally {
          await stop(a.child);
        }
      });

      it(`port-forward: HTTP through the forwarded port, twice and with a large body (${minor(v) >= 31 ? 'WebSocket tunnel' : 'SPDY'})`, async () => {
        const pf = await portForward(k8ts, v, webPort);
        try {
          assert.equal((await httpGet(pf.port, '/')).toString(), 'hello from the pod\n');
          assert.equal(sha(await httpGet(pf.port, '/big')), sha(BIG));
        } finally {
          await stop(pf.child);
        }
        assert.ok(pf.out().includes(portForwardTransport(v)), pf.out());
        assert.doesNotMatch(pf.out(), /fallback/i);
      });

      it('cp: a file into the container and back (tar through exec)', async () => {
        const local = join(k8ts.dataDir, `cp-${v}.bin`);
        writeFileSync(local, BIG.subarray(0, 300_000));
        const inside = containerPath(kubelet, `cp-${v}`, 'data.bin');
        await kc(v).ok('cp', local, `web:${inside}`);
        assert.equal(sha(readFileSync(inside)), sha(BIG.subarray(0, 300_000)));
        const back = join(k8ts.dataDir, `back-${v}.bin`);
        await kc(v).ok('cp', `web:${inside}`, back);
        assert.equal(sha(readFileSync(back)), sha(BIG.subarray(0, 300_000)));
      });
    });
  }

  it('errors as upstream words them', async () => {
    const k = kc('1.33');
    const several = await k.run('get', '--raw', '/api/v1/namespaces/default/pods/two/log');
    assert.match(several.stderr, /a container name must be specified for pod two, choose one of: \[a b\]/);
    const raw = await k.run('get', '--raw', '/api/v1/namespaces/default/pods/web/log?tailLines=-1');
    assert.match(raw.stderr, /PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0/);
    await k.create(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'waiting' }, spec: { nodeName: kubelet.nodeName, containers: [{ name: 'c', image: 'busybox' }] } }));
    const waiting = await k.run('logs', 'waiting');
    assert.match(waiting.stderr, /container "c" in pod "waiting" is waiting to start: ContainerCreating/);
    const missing = await k.run('exec', 'waiting', '--', 'true');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /container not found \("c"\)/);
  });
});
