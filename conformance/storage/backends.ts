// Backend factories for the storage conformance suite: `etcd` (EtcdStore on etcd
// processes started here), `k8ts` (the LevelDB store in storage/mvcc/) and `k8ts-grpc`
// (EtcdStore → k8ts's etcd-compatible gRPC server → the LevelDB store: the wire version);
// `k8ts-raft3` (a three-replica Raft group of LevelDB stores, storage/replica/);
// `k8ts-cluster` (EtcdStore → a k8ts store cluster of three `k8ts server` processes).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEtcdStore } from '../../storage/etcd/etcd-store.ts';
import { startGrpcServer } from '../../storage/grpc/server.ts';
import { openMvccStore } from '../../storage/mvcc/mvcc-store.ts';
import { TestCluster } from '../../storage/replica/testing.ts';
import type { Store } from '../../storage/store.ts';
import { startEtcd, type EtcdProcess } from '../support/etcd-process.ts';
import { K8tsCluster } from '../support/k8ts-cluster.ts';
import type { Backend, FreshOptions } from './harness.ts';

const PROGRESS_NOTIFY_MS = 1000;
const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
const DEFAULT_QUOTA = 2 * 1024 * 1024 * 1024;

export function etcdBackend(): Backend {
  let shared: { etcd: EtcdProcess; store: Store } | undefined;
  const open = async (options: FreshOptions) => {
    const etcd = await startEtcd({
      progressNotifyIntervalMs: PROGRESS_NOTIFY_MS,
      maxRequestBytes: MAX_REQUEST_BYTES,
      quotaBackendBytes: options.quotaBytes ?? 0,
    });
    try {
      const store = await openEtcdStore({ endpoints: [etcd.endpoint], quotaBytes: options.quotaBytes ?? DEFAULT_QUOTA });
      return { etcd, store };
    } catch (e) {
      await etcd.stop();
      throw e;
    }
  };
  return {
    name: 'etcd',
    async shared() {
      shared ??= await open({});
      return shared.store;
    },
    async fresh(options) {
      const { etcd, store } = await open(options);
      return {
        store,
        dispose: async () => {
          await store.close().catch(() => undefined);
          await etcd.stop();
        },
      };
    },
    async dispose() {
      if (!shared) return;
      const s = shared;
      shared = undefined;
      await s.store.close().catch(() => undefined);
      await s.etcd.stop();
    },
  };
}

async function openMvcc(options: FreshOptions): Promise<{ store: Store; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-mvcc-conformance-'));
  try {
    const store = await openMvccStore({
      dir,
      ...(options.quotaBytes !== undefined ? { quotaBytes: options.quotaBytes } : {}),
      maxRequestBytes: MAX_REQUEST_BYTES,
      progressNotifyIntervalMs: PROGRESS_NOTIFY_MS,
    });
    return { store, dir };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

export function k8tsBackend(): Backend {
  let shared: { store: Store; dir: string } | undefined;
  const open = openMvcc;
  return {
    name: 'k8ts',
    async shared() {
      shared ??= await open({});
      return shared.store;
    },
    async fresh(options) {
      const { store, dir } = await open(options);
      return {
        store,
        dispose: async () => {
          await store.close().catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
    async dispose() {
      if (!shared) return;
      const s = shared;
      shared = undefined;
      await s.store.close().catch(() => undefined);
      await rm(s.dir, { recursive: true, force: true });
    },
  };
}

export function k8tsGrpcBackend(): Backend {
  let shared: { store: Store; dispose(): Promise<void> } | undefined;
  const open = async (options: FreshOptions) => {
    const mvcc = await openMvcc(options);
    const server = await startGrpcServer({ store: mvcc.store }).catch(async (e: unknown) => {
      await mvcc.store.close();
      await rm(mvcc.dir, { recursive: true, force: true });
      throw e;
    });
    const dispose = async () => {
      await server.close();
      await mvcc.store.close().catch(() => undefined);
      await rm(mvcc.dir, { recursive: true, force: true });
    };
    try {
      const store = await openEtcdStore({ endpoints: [server.endpoint], quotaBytes: options.quotaBytes ?? DEFAULT_QUOTA });
      return {
        store,
        dispose: async () => {
          await store.close().catch(() => undefined);
          await dispose();
        },
      };
    } catch (e) {
      await dispose();
      throw e;
    }
  };
  return {
    name: 'k8ts-grpc',
    async shared() {
      shared ??= await open({});
      return shared.store;
    },
    fresh: open,
    async dispose() {
      if (!shared) return;
      const s = shared;
      shared = undefined;
      await s.dispose();
    },
  };
}

/**
 * `k8ts-raft3`: a three-replica Raft group in this process (loopback TCP between replicas,
 * a temp dir each); the cases talk to a follower, so writes are forwarded to the leader and
 * reads go through ReadIndex.
 */
export function k8tsRaft3Backend(): Backend {
  let shared: { store: Store; dispose(): Promise<void> } | undefined;
  const open = async (options: FreshOptions) => {
    const cluster = await TestCluster.start(3, {
      tickMs: 100,
      ...(options.quotaBytes !== undefined ? { quotaBytes: options.quotaBytes } : {}),
      maxRequestBytes: MAX_REQUEST_BYTES,
      progressNotifyIntervalMs: PROGRESS_NOTIFY_MS,
    });
    try {
      const store = cluster.store(await cluster.follower());
      return { store, dispose: () => cluster.destroy() };
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
  };
  return {
    name: 'k8ts-raft3',
    async shared() {
      shared ??= await open({});
      return shared.store;
    },
    fresh: open,
    async dispose() {
      if (!shared) return;
      const s = shared;
      shared = undefined;
      await s.dispose();
    },
  };
}

/**
 * `k8ts-cluster`: the etcd adapter (EtcdStore, the etcd3 gRPC client) against a k8ts store
 * cluster of three separate processes (`k8ts server --no-apiserver`), all three endpoints
 * given to the client: what `k8ts up --store etcd://a,b,c` runs on.
 */
export function k8tsClusterBackend(): Backend {
  let shared: { store: Store; dispose(): Promise<void> } | undefined;
  const open = async (options: FreshOptions) => {
    const cluster = await K8tsCluster.start({
      servers: 3,
      extraArgs: [
        '--watch-progress-notify-interval', String(PROGRESS_NOTIFY_MS),
        ...(options.quotaBytes !== undefined ? ['--quota-backend-bytes', String(options.quotaBytes)] : []),
      ],
    });
    try {
      await cluster.leader();
      const store = await openEtcdStore({ endpoints: cluster.endpoints.map((e) => `http://${e}`), quotaBytes: options.quotaBytes ?? DEFAULT_QUOTA });
      return {
        store,
        dispose: async () => {
          await store.close().catch(() => undefined);
          await cluster.destroy();
        },
      };
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
  };
  return {
    name: 'k8ts-cluster',
    freshConcurrency: 2,
    async shared() {
      shared ??= await open({});
      return shared.store;
    },
    fresh: open,
    async dispose() {
      if (!shared) return;
      const s = shared;
      shared = undefined;
      await s.dispose();
    },
  };
}
