// Pod streams end to end with the real @kubernetes/client-node: Exec (v5.channel.k8s.io,
// stdin closed with the v5 close signal), Attach, Log (with options and follow) and
// PortForward (the channel protocol, v4.channel.k8s.io, relayed to the agent), through
// `k8ts up` to the test kubelet (conformance/support/test-kubelet.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, get, type Server } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { Attach, Exec, KubeConfig, Log, PortForward, type V1Status } from '@kubernetes/client-node';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor } from '../support/kubectl.ts';
import { startTestKubelet, type TestKubelet } from '../support/test-kubelet.ts';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('pod streams with @kubernetes/client-node', () => {
  let k8ts: K8tsProcess;
  let kubelet: TestKubelet;
  let kc: KubeConfig;
  let web: Server;
  let webPort: number;

  before(async () => {
    web = createHttpServer((_req, res) => res.end('hello from the pod\n'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as AddressInfo).port;
    k8ts = await startK8ts({ args: ['--no-scheduler'] });
    kubelet = await startTestKubelet(k8ts, kubectlFor(() => k8ts, '/usr/lib/google-cloud-sdk/bin/kubectl.1.33'));
    await kubelet.runPod('web', { main: 'echo one; echo two; echo three; while true; do echo tick; sleep 0.2; done' }, [webPort]);
    kc = new KubeConfig();
    kc.loadFromFile(k8ts.kubeconfig);
  });
  after(async () => {
    await kubelet?.stop();
    await k8ts?.stop();
    web?.close();
  });

  const run = (command: string[], stdin: Readable | null) =>
    new Promise<{ out: string; err: string; status: V1Status }>((resolve, reject) => {
      const out = collect();
      const err = collect();
      new Exec(kc).exec('default', 'web', 'main', command, out.stream, err.stream, stdin, false, (status) => resolve({ out: out.text(), err: err.text(), status })).catch(reject);
    });

  it('Exec: outputs and the exit code in the status', async () => {
    const r = await run(['sh', '-c', 'echo out; echo err >&2; exit 3'], null);
    assert.equal(r.out, 'out\n');
    assert.equal(r.err, 'err\n');
    assert.equal(r.status.status, 'Failure');
    assert.equal(r.status.reason, 'NonZeroExitCode');
    assert.deepEqual(r.status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.equal((await run(['true'], null)).status.status, 'Success');
  });

  it('Exec with stdin: the end of input ends the command', async () => {
    const r = await run(['sh', '-c', 'cat; echo end'], Readable.from([Buffer.from('in'), Buffer.from('put\n')]));
    assert.equal(r.out, 'input\nend\n');
    assert.equal(r.status.status, 'Success');
  });

  it('Attach: the running container output', async () => {
    const out = collect();
    const ws = await new Attach(kc).attach('default', 'web', 'main', out.stream, null, null, false);
    try {
      await eventually('attached output', async () => (out.text().match(/tick\n/g) ?? []).length >= 2, 20_000);
    } finally {
      ws.close();
    }
  });

  it('Log: options and follow', async () => {
    const tail = collect();
    const ended = new Promise((r) => tail.stream.once('end', r));
    await new Log(kc).log('default', 'web', 'main', tail.stream, { limitBytes: 8 });
    await ended;
    assert.equal(tail.text(), 'one\ntwo\n');
    const follow = collect();
    const abort = await new Log(kc).log('default', 'web', 'main', follow.stream, { follow: true, tailLines: 1 });
    try {
      await eventually('followed lines', async () => (follow.text().match(/tick\n/g) ?? []).length >= 3, 20_000);
    } finally {
      abort.abort();
    }
  });

  it('PortForward: HTTP through a local listener', async () => {
    const forward = new PortForward(kc);
    const local: NetServer = createServer((socket) => void forward.portForward('default', 'web', [webPort], socket, null, socket));
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const port = (local.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      assert.equal(body, 'hello from the pod\n');
    } finally {
      local.close();
    }
  });
});
