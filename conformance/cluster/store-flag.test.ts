// `k8ts up --store etcd://a,b,c` runs the API server on any etcd-API endpoint: here a k8ts
// store cluster of three processes. kubectl's objects land in the store cluster under
// /registry (read back through another member), and the API server goes on serving when the
// store's leader is killed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { K8tsCluster, etcdClient } from '../support/k8ts-cluster.ts';
import { startK8ts, type K8tsProcess } from '../support/k8ts-process.ts';

const KUBECTL = join(process.env.KUBECTL_DIR ?? '/usr/lib/google-cloud-sdk/bin', 'kubectl.1.33');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('k8ts up --store etcd://… on a 3-process k8ts store cluster', { skip: !existsSync(KUBECTL) && `${KUBECTL} not installed`, timeout: 120_000 }, () => {
  let cluster: K8tsCluster;
  let k8ts: K8tsProcess;

  before(async () => {
    cluster = await K8tsCluster.start({ servers: 3 });
    k8ts = await startK8ts({ args: ['--store', `etcd://${cluster.endpoints.join(',')}`, '--no-controllers'] });
  });

  after(async () => {
    await k8ts?.stop();
    await cluster?.destroy();
  });

  const kubectl = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(KUBECTL, args, { env: { ...process.env, KUBECONFIG: k8ts.kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  it('kubectl writes go to the store cluster; the API server survives kill -9 of the store leader', async (t) => {
    assert.match(k8ts.output(), new RegExp(`\\(store: etcd://${cluster.endpoints[0]!.replace(/\./g, '\\.')}`));
    assert.equal((await kubectl('create', 'namespace', 'on-cluster')).stdout, 'namespace/on-cluster created\n');
    assert.equal((await kubectl('-n', 'on-cluster', 'create', 'configmap', 'one', '--from-literal=k=v')).stdout, 'configmap/one created\n');
    for (const s of cluster.running()) {
      const c = etcdClient(s.endpoint);
      const kvs = await c.get('/registry/configmaps/on-cluster/one');
      c.close();
      assert.equal(kvs.length, 1, `the ConfigMap is in the store, read through ${s.name}`);
      assert.match(kvs[0]!.value, /"k":"v"/);
    }

    const leader = await cluster.leader();
    await cluster.server(leader.name).kill();
    const killedAt = Date.now();
    // As a user would: retry a failed request (the client may have been talking to the dead member).
    let created: { code: number; stdout: string; stderr: string } | undefined;
    for (let i = 0; i < 10; i++) {
      created = await kubectl('-n', 'on-cluster', 'create', 'configmap', 'two', '--from-literal=k=w');
      if (created.code === 0 || /AlreadyExists/.test(created.stderr)) break;
      await sleep(500);
    }
    t.diagnostic(`store leader ${leader.name} killed; a create succeeded after ${Date.now() - killedAt} ms`);
    assert.ok(created && (created.code === 0 || /AlreadyExists/.test(created.stderr)), created?.stderr);
    const got = await kubectl('-n', 'on-cluster', 'get', 'configmaps', '-o', 'name');
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /^configmap\/one\nconfigmap\/two\n/);
  });
});
