// `k8ts member list|add|promote|remove`: membership of a running store cluster, through
// etcd's v3 Cluster API (the same calls `etcdctl member ...` makes), so it works against
// any k8ts server's --store-listen endpoint. Endpoints are tried in turn until one answers.
import { credentials, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { etcdServices } from '../storage/grpc/proto.ts';
import { MEMBER_NAME_METADATA } from '../storage/grpc/cluster-service.ts';

interface WireMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

type Msg = Record<string, unknown>;

const CALL_TIMEOUT_MS = 15_000;

function endpointsOf(list: string): string[] {
  const eps = list
    .split(',')
    .map((e) => e.trim().replace(/^https?:\/\//, ''))
    .filter(Boolean);
  if (eps.length === 0) throw new Error('no --endpoints given');
  return eps;
}

function call(endpoint: string, service: 'Cluster' | 'Maintenance', method: string, req: Msg, metadata?: Metadata): Promise<Msg> {
  const def = etcdServices()[service];
  const client: Client = new (makeGenericClientConstructor(def, service))(endpoint, credentials.createInsecure());
  return new Promise<Msg>((resolve, reject) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!;
    fn.call(client, req, metadata ?? new Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err: ServiceError | null, res: Msg) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

/** Calls the first endpoint that answers (an endpoint that is down is skipped). */
async function callAny(endpoints: string[], service: 'Cluster' | 'Maintenance', method: string, req: Msg, metadata?: Metadata): Promise<{ res: Msg; endpoint: string }> {
  let last: unknown;
  for (const endpoint of endpoints) {
    try {
      return { res: await call(endpoint, service, method, req, metadata), endpoint };
    } catch (e) {
      last = e;
      const code = (e as Partial<ServiceError>).code;
      if (code !== status.UNAVAILABLE && code !== status.DEADLINE_EXCEEDED) break;
    }
  }
  throw new Error(errorMessage(last));
}

function errorMessage(e: unknown): string {
  const se = e as Partial<ServiceError>;
  if (typeof se.details === 'string' && se.details) return se.details;
  return e instanceof Error ? e.message : String(e);
}

const hexId = (id: string) => BigInt(id).toString(16);

async function listMembers(endpoints: string[]): Promise<{ members: WireMember[]; leader: string | undefined; endpoint: string }> {
  const { res, endpoint } = await callAny(endpoints, 'Cluster', 'MemberList', { linearizable: true });
  let leader: string | undefined;
  try {
    const st = await call(endpoint, 'Maintenance', 'Status', {});
    leader = typeof st['leader'] === 'string' && st['leader'] !== '0' ? st['leader'] : undefined;
  } catch {
    // the table just shows no leader
  }
  return { members: (res['members'] as WireMember[]) ?? [], leader, endpoint };
}

async function memberByName(endpoints: string[], name: string): Promise<WireMember> {
  const { members } = await listMembers(endpoints);
  const m = members.find((x) => x.name === name);
  if (!m) throw new Error(`no member named ${name} (members: ${members.map((x) => x.name).join(', ') || 'none'})`);
  return m;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('   ').trimEnd()).join('\n') + '\n';
}

const peerAddr = (m: WireMember) => (m.peerURLs[0] ?? '').replace(/^https?:\/\//, '');

export async function memberList(opts: { endpoints: string; output: string }): Promise<void> {
  const { members, leader } = await listMembers(endpointsOf(opts.endpoints));
  if (opts.output === 'json') {
    process.stdout.write(
      JSON.stringify(
        members.map((m) => ({ name: m.name, id: hexId(m.ID), role: m.ID === leader ? 'leader' : m.isLearner ? 'learner' : 'voter', peer: peerAddr(m), clientURLs: m.clientURLs })),
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const rows = [['NAME', 'ID', 'ROLE', 'PEER ADDRESS', 'CLIENT URLS']];
  for (const m of members) rows.push([m.name, hexId(m.ID), m.ID === leader ? 'leader' : m.isLearner ? 'learner' : 'voter', peerAddr(m), m.clientURLs.join(',') || '-']);
  process.stdout.write(table(rows));
}

export async function memberAdd(name: string, address: string, opts: { endpoints: string; learner?: boolean }): Promise<void> {
  const addr = address.replace(/^https?:\/\//, '');
  const md = new Metadata();
  md.set(MEMBER_NAME_METADATA, name);
  const { res } = await callAny(endpointsOf(opts.endpoints), 'Cluster', 'MemberAdd', { peerURLs: [`http://${addr}`], isLearner: opts.learner ?? false }, md);
  const added = res['member'] as WireMember;
  const members = (res['members'] as WireMember[]) ?? [];
  const peers = members.map((m) => `${m.name}=${peerAddr(m)}`).join(',');
  process.stdout.write(
    [
      `Member ${name} (${hexId(added.ID)}) added${opts.learner ? ' as a learner' : ''}.`,
      'Start it with:',
      `  k8ts server --name ${name} --join --peers ${peers} --peer-listen ${addr} --data-dir ./.k8ts/${name} --store-listen <host:port> --port <port>`,
      ...(opts.learner ? ['then, once it runs:', `  k8ts member promote ${name}`] : []),
      '',
    ].join('\n'),
  );
}

export async function memberPromote(name: string, opts: { endpoints: string; timeout: number }): Promise<void> {
  const endpoints = endpointsOf(opts.endpoints);
  const m = await memberByName(endpoints, name);
  const deadline = Date.now() + opts.timeout * 1000;
  let said = false;
  for (;;) {
    try {
      await callAny(endpoints, 'Cluster', 'MemberPromote', { ID: m.ID });
      process.stdout.write(`Member ${name} (${hexId(m.ID)}) promoted to a voter.\n`);
      return;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (!/in sync with leader/.test(msg) || Date.now() > deadline) throw e;
      if (!said) process.stderr.write(`waiting for ${name} to catch up with the leader...\n`);
      said = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function memberRemove(name: string, opts: { endpoints: string }): Promise<void> {
  const endpoints = endpointsOf(opts.endpoints);
  const m = await memberByName(endpoints, name);
  await callAny(endpoints, 'Cluster', 'MemberRemove', { ID: m.ID });
  process.stdout.write(`Member ${name} (${hexId(m.ID)}) removed; stop its server now.\n`);
}
