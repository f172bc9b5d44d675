// Scheduler and hollow-node benchmark: `k8ts up --hollow-nodes N` as a child process, then P
// pods created through the API (16 at a time); reports how long until every pod is bound and
// Running, pods/s, and how evenly they spread over the nodes.
//   npx tsx scripts/bench-scheduler.ts [nodes=100] [pods=1000]
import { ApiClient, loadKubeconfig } from '../controllers/runtime/client.ts';
import { mapLimit } from '../controllers/runtime/util.ts';
import { startK8ts } from '../conformance/support/k8ts-process.ts';

const NODES = Number(process.argv[2] ?? 100);
const PODS = Number(process.argv[3] ?? 1000);
const PODS_REF = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
const NODES_REF = { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' };

type J = Record<string, any>;

async function main(): Promise<void> {
  const t0 = Date.now();
  const k8ts = await startK8ts({ args: ['--hollow-nodes', String(NODES)] });
  const client = new ApiClient(loadKubeconfig(k8ts.kubeconfig));
  try {
    for (;;) {
      const nodes = await client.list(NODES_REF, undefined);
      if (nodes.items.length >= NODES) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const registered = Date.now();
    console.log(`${NODES} hollow nodes registered in ${((registered - t0) / 1000).toFixed(1)} s (process start included)`);
    const start = Date.now();
    await mapLimit([...Array(PODS).keys()], 16, (i) =>
      client.create(PODS_REF, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `bench-${i}`, labels: { bench: 'yes' } },
        spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      }),
    );
    const created = Date.now();
    let running = 0;
    let bound = 0;
    let boundAt = 0;
    let list: J = { items: [] };
    while (running < PODS) {
      list = await client.list(PODS_REF, 'default', { labelSelector: 'bench=yes' });
      bound = list.items.filter((p: J) => p.spec?.nodeName).length;
      running = list.items.filter((p: J) => p.status?.phase === 'Running').length;
      if (bound === PODS && !boundAt) boundAt = Date.now();
      if (Date.now() - start > 600_000) throw new Error(`timed out: ${bound} bound, ${running} running`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const done = Date.now();
    const per = new Map<string, number>();
    for (const p of list.items) per.set(p.spec.nodeName, (per.get(p.spec.nodeName) ?? 0) + 1);
    const counts = [...per.values()];
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`created ${PODS} pods in ${s(created - start)} (${Math.round((PODS * 1000) / (created - start))}/s)`);
    console.log(`all bound after ${s(boundAt - start)} (${Math.round((PODS * 1000) / (boundAt - start))} pods/s scheduled), all Running after ${s(done - start)}`);
    console.log(`spread over ${per.size}/${NODES} nodes: min ${Math.min(...counts)}, max ${Math.max(...counts)} pods per node`);
  } finally {
    client.close();
    await k8ts.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
