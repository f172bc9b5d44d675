// etcd's Maintenance service: Status, Alarm (GET), Defragment (a no-op: LevelDB compacts
// itself), MoveLeader when the cluster can (ClusterInfo.moveLeader). Hash, HashKV and
// Snapshot are answered UNIMPLEMENTED.
import { createRequire } from 'node:module';
import { status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Store } from '../store.ts';
import type { ServiceContext } from './context.ts';
import { RpcError } from './errors.ts';

/** The etcd API version we answer as (what etcdctl 3.4 and clientv3 expect), and ours. */
export const ETCD_API_VERSION = '3.4.23';
export const K8TS_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
export const SERVER_VERSION = `${ETCD_API_VERSION}+k8ts.${K8TS_VERSION}`;

/** A store may report its alarms itself; otherwise they are inferred (see activeAlarms). */
interface StoreWithAlarms extends Store {
  alarms(): Promise<Array<'NOSPACE' | 'CORRUPT'>>;
}

function hasAlarms(store: Store): store is StoreWithAlarms {
  return typeof (store as Partial<StoreWithAlarms>).alarms === 'function';
}

/**
 * NOSPACE when the store says so, when it refused a write for space through this server
 * (etcd's alarm is sticky, so is ours), or when its data already fills the quota.
 */
async function activeAlarms(ctx: ServiceContext): Promise<Array<'NOSPACE' | 'CORRUPT'>> {
  if (hasAlarms(ctx.store)) return ctx.store.alarms();
  if (ctx.noSpaceSeen) return ['NOSPACE'];
  const st = await ctx.store.status();
  return st.quotaBytes > 0 && st.dbSize >= st.quotaBytes ? ['NOSPACE'] : [];
}

function unimplemented(what: string) {
  return new RpcError(status.UNIMPLEMENTED, `k8ts: ${what} is not supported`);
}

export function maintenanceService(ctx: ServiceContext): UntypedServiceImplementation {
  const memberId = String(ctx.cluster.memberId);
  return {
    Status: ctx.unary(async () => {
      const st = await ctx.store.status();
      const alarms = await activeAlarms(ctx);
      const leader = ctx.cluster.leaderId?.() ?? ctx.cluster.memberId;
      const raftIndex = String(ctx.cluster.raftIndex?.() ?? st.header.revision);
      const appliedIndex = String(ctx.cluster.appliedIndex?.() ?? raftIndex);
      const errs = alarms.map((a) => `memberID:${memberId} alarm:${a} `);
      if (leader === 0n) errs.unshift('etcdserver: no leader');
      return {
        header: ctx.header(st.header.revision),
        version: SERVER_VERSION,
        dbSize: String(st.dbSize),
        leader: String(leader),
        raftIndex,
        raftTerm: String(ctx.cluster.raftTerm()),
        raftAppliedIndex: appliedIndex,
        errors: errs,
        dbSizeInUse: String(st.dbSize),
        isLearner: ctx.cluster.isLearner?.() ?? false,
      };
    }),

    Alarm: ctx.unary(async (req: { action: string | number }) => {
      if (req.action !== 'GET') {
        throw unimplemented('activating or deactivating alarms (a NOSPACE alarm clears when the store restarts with room)');
      }
      const alarms = await activeAlarms(ctx);
      return { header: await ctx.currentHeader(), alarms: alarms.map((alarm) => ({ memberID: memberId, alarm })) };
    }),

    Defragment: ctx.unary(async () => ({ header: await ctx.currentHeader() })),

    Hash: ctx.unary(() => Promise.reject(unimplemented('Hash'))),
    HashKV: ctx.unary(() => Promise.reject(unimplemented('HashKV'))),
    MoveLeader: ctx.unary(async (req: { targetID?: string }) => {
      if (!ctx.cluster.moveLeader) throw unimplemented('MoveLeader (single-member store)');
      await ctx.cluster.moveLeader(BigInt(req.targetID ?? '0'));
      return { header: await ctx.currentHeader() };
    }),
    Snapshot: (call: ServerWritableStream<unknown, unknown>) => {
      call.emit('error', unimplemented('Snapshot'));
    },
  };
}
