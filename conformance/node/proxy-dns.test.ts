// End to end: `k8ts up --hollow-nodes 1` as a child process; the service proxy and the
// cluster DNS server run in this process as API clients, with the cluster's 10.0.0.0/8
// addresses mapped onto 127.0.0.0/8 (ClusterIP 10.96.a.b is served on 127.96.a.b, pod IP
// 10.244.0.c is dialled at 127.244.0.c), so nothing but loopback is ever touched. The pods are
// real API pods that the hollow node runs and reports Ready with an IP; the EndpointSlice
// controller turns them into slices; the "containers" are TCP/UDP echo servers this test
// starts on the pods' mapped addresses. kubectl creates the objects, as a user would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { ApiClient, loadKubeconfig } from '../../controllers/runtime/client.ts';
import { ENDPOINTSLICES } from '../../controllers/endpointslice/controller.ts';
import { freePorts } from '../../lib/free-ports.ts';
import { cidrMapper } from '../../node/proxy/address-map.ts';
import { startServiceProxy, type ServiceProxy } from '../../node/proxy/service-proxy.ts';
import { tcpAsk, tcpEcho, udpClient, udpEcho, type EchoServer } from '../../node/proxy/testing/echo.ts';
import { CLUSTER_DNS_IP, KUBE_DNS_SERVICE, startDnsServer, type DnsServer } from '../../node/dns/server.ts';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';
import { eventually, kubectlFor, type Obj } from '../support/kubectl.ts';

const NS = 'proxy-e2e';
const map = cidrMapper('10.0.0.0/8', '127.0.0.0/8');
/** hollow-0's InternalIP: NodePorts are served there. */
const NODE_ADDRESS = '127.0.0.2';

const pod = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}, labels: {app: echo}}
spec:
  containers:
  - name: echo
    image: agnhost
    ports: [{name: http, containerPort: 8080}, {name: echo-udp, containerPort: 9090, protocol: UDP}]
`;

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
${pod('echo-a')}
---
${pod('echo-b')}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: ${NS}}
spec:
  type: NodePort
  selector: {app: echo}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: echo-udp, port: 90, targetPort: echo-udp, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: echo-headless, namespace: ${NS}}
spec:
  clusterIP: None
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody, namespace: ${NS}}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
`;

const names = (answers: string[]) => answers.map((a) => a.split('|')[0]);

function dnsQuery(address: string, port: number, name: string, type: string): Promise<Obj> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no DNS answer for ${name}`));
    }, 3000);
    socket.on('message', (msg) => {
      const r = dnsPacket.decode(msg) as Obj;
      if (r.id !== id) return;
      clearTimeout(timer);
      socket.close();
      resolve(r);
    });
    socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }] }), port, address);
  });
}

function dnsQueryTcp(address: string, port: number, name: string, type: string): Promise<Obj> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, address, () => s.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ name, type: type as 'A' }] })));
    let buf = Buffer.alloc(0);
    s.setTimeout(3000, () => s.destroy(new Error('DNS over TCP timed out')));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        resolve(dnsPacket.streamDecode(buf) as Obj);
        s.destroy();
      }
    });
    s.on('error', reject);
  });
}

describe('service proxy and cluster DNS against k8ts up --hollow-nodes 1', () => {
  let k8ts: K8tsProcess;
  let api: ApiClient;
  let proxy: ServiceProxy;
  let dns: DnsServer;
  let dnsPort: number;
  const echoes: EchoServer[] = [];
  const { ok, getJson, create } = kubectlFor(() => k8ts);
  const podIPs: Record<string, string> = {};
  let svc: Obj;

  before(async () => {
    k8ts = await startK8ts({ args: ['--hollow-nodes', '1'] });
    const config = loadKubeconfig(k8ts.kubeconfig);
    api = new ApiClient(config);
    [dnsPort] = await freePorts(1);
    proxy = startServiceProxy({ client: config, nodeName: 'hollow-0', nodeAddresses: [NODE_ADDRESS], clusterIPMapper: map, endpointMapper: map, skipServices: [KUBE_DNS_SERVICE] });
    dns = startDnsServer({ client: config, address: map(CLUSTER_DNS_IP), port: dnsPort, addressMapper: map });
    await Promise.all([proxy.whenReady(), dns.whenReady()]);
  });

  after(async () => {
    await Promise.all([proxy?.stop(), dns?.stop()]);
    await Promise.all(echoes.map((e) => e.close()));
    api?.close();
    const out = k8ts?.output() ?? '';
    const code = await k8ts?.stop();
    assert.equal(code, 0, `k8ts up did not stop cleanly:\n${out}`);
  });

  it('has the kube-dns Service in kube-system, as upstream clusters do', async () => {
    const kubeDns = await getJson('svc', 'kube-dns', '-n', 'kube-system');
    assert.equal(kubeDns?.spec.clusterIP, '10.96.0.10');
    assert.deepEqual(
      kubeDns?.spec.ports.map((p: Obj) => [p.name, p.port, p.protocol]),
      [
        ['dns', 53, 'UDP'],
        ['dns-tcp', 53, 'TCP'],
      ],
    );
    assert.match(await ok('get', 'svc', '-n', 'kube-system'), /kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP/);
  });

  it('routes a ClusterIP to the pods, balancing over both', async () => {
    await create(MANIFEST);
    for (const name of ['echo-a', 'echo-b']) {
      podIPs[name] = await eventually(`${name} Ready with an IP`, async () => {
        const p = await getJson('pod', name, '-n', NS);
        return p?.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True') && p.status.podIP;
      });
      // The pod's "container": echo servers on its (mapped) IP and container ports.
      echoes.push(await tcpEcho(name, map(podIPs[name]!), 8080), await udpEcho(name, map(podIPs[name]!), 9090));
    }
    svc = (await getJson('svc', 'echo', '-n', NS))!;
    const ip = map(svc.spec.clusterIP);
    assert.match(ip, /^127\./);
    await eventually('both endpoints behind the ClusterIP', async () => {
      const got = names(await Promise.all([1, 2, 3, 4].map(() => tcpAsk(ip, 80).catch(() => 'error|'))));
      return got.includes('echo-a') && got.includes('echo-b');
    });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await tcpAsk(ip, 80, `hello ${i}`));
    assert.deepEqual(answers.map((a) => a.split('|')[1]), [0, 1, 2, 3, 4, 5].map((i) => `hello ${i}`));
    const seen = names(answers);
    assert.equal(seen.filter((n) => n === 'echo-a').length, 3, `round robin: ${seen}`);
  });

  it('routes UDP per client and serves the NodePort on the node address', async () => {
    const ip = map(svc.spec.clusterIP);
    const c1 = await udpClient();
    const c2 = await udpClient();
    try {
      const r = [await c1.ask(ip, 90, 'u1'), await c2.ask(ip, 90, 'u2')];
      assert.deepEqual(names(r).sort(), ['echo-a', 'echo-b']);
    } finally {
      c1.close();
      c2.close();
    }
    const nodePort = svc.spec.ports.find((p: Obj) => p.name === 'http').nodePort;
    assert.ok(nodePort >= 30000, `nodePort ${nodePort}`);
    assert.match(await tcpAsk(NODE_ADDRESS, nodePort, 'via node port'), /^echo-[ab]\|via node port$/);
  });

  it('resets connections to a service without endpoints', async () => {
    const nobody = (await getJson('svc', 'nobody', '-n', NS))!;
    await assert.rejects(tcpAsk(map(nobody.spec.clusterIP), 80), (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET');
  });

  it('stops sending to a removed endpoint within a second of the EndpointSlice change', async (t) => {
    const ip = map(svc.spec.clusterIP);
    await ok('delete', 'pod', 'echo-b', '-n', NS, '--wait=false');
    // Observe the slice change as the proxy does (its watch), then time the proxy.
    const removed = await eventually(
      'echo-b out of the ready endpoints',
      async () => {
        const list = await api.list(ENDPOINTSLICES, NS, { labelSelector: 'kubernetes.io/service-name=echo' });
        const eps = list.items.flatMap((s: Obj) => s.endpoints ?? []);
        return !eps.some((e: Obj) => e.addresses.includes(podIPs['echo-b']) && e.conditions?.ready !== false) && Date.now();
      },
      20_000,
    );
    const done = await eventually(
      'only echo-a answering',
      async () => {
        const got = names(await Promise.all([1, 2, 3, 4].map(() => tcpAsk(ip, 80))));
        return got.every((n) => n === 'echo-a') && Date.now();
      },
      5000,
    );
    t.diagnostic(`new connections left the removed endpoint ${done - removed} ms after the test saw the slice change`);
    assert.ok(done - removed <= 1000, `the proxy took ${done - removed} ms after the slice changed`);
  });

  it('answers cluster DNS over UDP and TCP: A, SRV, headless, NXDOMAIN, REFUSED', async () => {
    const server = map(CLUSTER_DNS_IP);
    const a = await dnsQuery(server, dnsPort, `echo.${NS}.svc.cluster.local`, 'A');
    assert.equal(a.rcode, 'NOERROR');
    assert.equal(a.flag_aa, true);
    assert.deepEqual(a.answers.map((x: Obj) => x.data), [map(svc.spec.clusterIP)]);

    const srv = await dnsQuery(server, dnsPort, `_http._tcp.echo.${NS}.svc.cluster.local`, 'SRV');
    assert.deepEqual(srv.answers.map((x: Obj) => [x.data.port, x.data.target]), [[80, `echo.${NS}.svc.cluster.local`]]);
    const udpSrv = await dnsQueryTcp(server, dnsPort, `_echo-udp._udp.echo.${NS}.svc.cluster.local`, 'SRV');
    assert.deepEqual(udpSrv.answers.map((x: Obj) => x.data.port), [90]);

    const kubeDns = await dnsQueryTcp(server, dnsPort, 'kube-dns.kube-system.svc.cluster.local', 'A');
    assert.deepEqual(kubeDns.answers.map((x: Obj) => x.data), [map(CLUSTER_DNS_IP)]);

    const headless = await eventually('the headless service with its one ready pod', async () => {
      const r = await dnsQuery(server, dnsPort, `echo-headless.${NS}.svc.cluster.local`, 'A');
      return r.answers.length === 1 && r;
    });
    assert.deepEqual(headless.answers.map((x: Obj) => x.data), [map(podIPs['echo-a']!)]);

    const nx = await dnsQuery(server, dnsPort, `nope.${NS}.svc.cluster.local`, 'A');
    assert.equal(nx.rcode, 'NXDOMAIN');
    const refused = await dnsQuery(server, dnsPort, 'example.com', 'A');
    assert.equal(refused.rcode, 'REFUSED');
    assert.deepEqual(refused.answers, []);

    const ptr = await dnsQuery(server, dnsPort, map(svc.spec.clusterIP).split('.').reverse().join('.') + '.in-addr.arpa', 'PTR');
    assert.deepEqual(ptr.answers.map((x: Obj) => x.data), [`echo.${NS}.svc.cluster.local`]);
  });

  it('follows deletions: a deleted service leaves DNS and its listener closes', async () => {
    const ip = map(svc.spec.clusterIP);
    await ok('delete', 'svc', 'echo', '-n', NS, '--wait=false');
    await eventually('NXDOMAIN for the deleted service', async () => (await dnsQuery(map(CLUSTER_DNS_IP), dnsPort, `echo.${NS}.svc.cluster.local`, 'A')).rcode === 'NXDOMAIN', 10_000);
    await eventually(
      'the ClusterIP listener closed',
      () => tcpAsk(ip, 80).then(
        () => false,
        (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
      ),
      10_000,
    );
  });
});
