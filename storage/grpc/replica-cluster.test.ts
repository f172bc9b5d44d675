// etcd's Cluster and Maintenance services over the replicated store (in-process, three
// replicas): member add (named through metadata, or after its peer address), promote (only a
// learner in sync), remove, MoveLeader, and etcd's errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { TestCluster } from '../replica/testing.ts';
import { startGrpcServer, type GrpcServer } from './server.ts';
import { peerAddress, replicaClusterInfo } from './replica-cluster.ts';
import { MEMBER_NAME_METADATA } from './cluster-service.ts';
import { etcdServices } from './proto.ts';
import { credentials, makeGenericClientConstructor, type Client } from '@grpc/grpc-js';

type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(endpoint: string) {
  const s = etcdServices();
  const make = (svc: 'Cluster' | 'Maintenance') => new (makeGenericClientConstructor(s[svc], svc))(endpoint, credentials.createInsecure()) as Client;
  const cluster = make('Cluster');
  const maintenance = make('Maintenance');
  const call = (c: Client, method: string, req: Msg, md = new Metadata()) =>
    new Promise<Msg>((resolve, reject) =>
      (c as unknown as Record<string, (...a: unknown[]) => void>)[method]!.call(c, req, md, (err: ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res))),
    );
  return {
    cluster: (m: string, req: Msg, md?: Metadata) => call(cluster, m, req, md),
    maintenance: (m: string, req: Msg) => call(maintenance, m, req),
    close: () => {
      cluster.close();
      maintenance.close();
    },
  };
}

describe('etcd Cluster API over the replicated store', () => {
  let c: TestCluster;
  let server: GrpcServer;
  let api: ReturnType<typeof client>;

  before(async () => {
    c = await TestCluster.start(3);
    const follower = await c.follower();
    const store = c.store(follower);
    server = await startGrpcServer({ store, clusterInfo: replicaClusterInfo(store, { clientUrls: ['http://self'], cluster: c.cluster }) });
    api = client(server.endpoint);
  });

  after(async () => {
    api?.close();
    await server?.close();
    await c?.destroy();
  });

  it('parses peer URLs', () => {
    assert.equal(peerAddress('http://127.0.0.1:2380'), '127.0.0.1:2380');
    assert.equal(peerAddress('10.0.0.1:2380'), '10.0.0.1:2380');
    assert.equal(peerAddress('http://[::1]:2380/'), '[::1]:2380');
    assert.equal(peerAddress('http://host'), undefined);
    assert.equal(peerAddress('http://host:0'), undefined);
  });

  it('lists, adds (named and unnamed), refuses what etcd refuses, promotes, removes', async () => {
    const list = async () => (await api.cluster('MemberList', {})).members as Msg[];
    assert.deepEqual((await list()).map((m) => m.name).sort(), ['r1', 'r2', 'r3']);
    const md = new Metadata();
    md.set(MEMBER_NAME_METADATA, 'r4');
    const added = await api.cluster('MemberAdd', { peerURLs: ['http://127.0.0.1:1'], isLearner: true }, md);
    assert.equal(added.member.name, 'r4');
    assert.equal(added.member.isLearner, true);
    assert.equal(added.members.length, 4);
    const errs = async (p: Promise<unknown>) => ((await p.then(() => assert.fail('expected an error'), (e: ServiceError) => e)) as ServiceError).details;
    assert.equal(await errs(api.cluster('MemberAdd', { peerURLs: ['http://127.0.0.1:1'] })), 'etcdserver: Peer URLs already exists');
    assert.equal(await errs(api.cluster('MemberAdd', { peerURLs: ['http://127.0.0.1:2'], isLearner: true })), 'etcdserver: too many learner members in cluster');
    assert.equal(await errs(api.cluster('MemberAdd', { peerURLs: ['nonsense'] })), 'etcdserver: given member URLs are invalid');
    // r4 never runs: it is not in sync, so it stays a learner.
    assert.equal(await errs(api.cluster('MemberPromote', { ID: added.member.ID })), 'etcdserver: can only promote a learner member which is in sync with leader');
    const voter = (await list()).find((m) => m.name === 'r1')!;
    assert.equal(await errs(api.cluster('MemberPromote', { ID: voter.ID })), 'etcdserver: can only promote a learner member');
    await api.cluster('MemberRemove', { ID: added.member.ID });
    assert.equal(await errs(api.cluster('MemberRemove', { ID: added.member.ID })), 'etcdserver: member not found');
    // Unnamed (etcdctl): named after the peer address.
    const unnamed = await api.cluster('MemberAdd', { peerURLs: ['http://127.0.0.1:3'] });
    assert.equal(unnamed.member.name, '127.0.0.1:3');
    await api.cluster('MemberRemove', { ID: unnamed.member.ID });
    assert.equal((await list()).length, 3);
  });

  it('Status reports the leader and indexes; MoveLeader moves it', async () => {
    const st = await api.maintenance('Status', {});
    const leader = await c.leader();
    const ids = new Map((await api.cluster('MemberList', {})).members.map((m: Msg) => [m.name, m.ID]));
    assert.equal(st.leader, ids.get(leader));
    assert.ok(Number(st.raftAppliedIndex) <= Number(st.raftIndex));
    const target = c.names.find((n) => n !== leader)!;
    await api.maintenance('MoveLeader', { targetID: ids.get(target) });
    assert.equal(await c.leader(), target);
  });
});
