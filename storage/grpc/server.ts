// A gRPC server exposing any Store with etcd's v3 API (KV, Watch, Lease, Cluster,
// Maintenance), so that etcdctl, etcd client libraries and our own EtcdStore adapter
// work against it unchanged.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { DEFAULT_MAX_REQUEST_BYTES } from '../validate-request.ts';
import type { Store } from '../store.ts';
import { singleMemberCluster, type ClusterInfo } from './cluster-info.ts';
import { clusterService } from './cluster-service.ts';
import { ServiceContext } from './context.ts';
import { kvService } from './kv-service.ts';
import { leaseService } from './lease-service.ts';
import { maintenanceService } from './maintenance-service.ts';
import { etcdServices } from './proto.ts';
import { watchService } from './watch-service.ts';
import type { WatchSession } from './watch-session.ts';

export interface GrpcServerOptions {
  store: Store;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port (see the returned `port`). */
  port?: number;
  /** Default: a single-member cluster named "default" at this server's URL. */
  clusterInfo?: ClusterInfo;
  /**
   * Largest message accepted off the wire. Well above the store's request limit, so that
   * an oversized request reaches the store and gets etcd's "request is too large" rather
   * than a transport error. Default max(64 MiB, 8 × the default request limit).
   */
  maxReceiveBytes?: number;
}

export interface GrpcServer {
  port: number;
  /** `host:port`, what `etcdctl --endpoints` takes. */
  endpoint: string;
  cluster: ClusterInfo;
  /** Stops every watch and stream, then the server. The store stays open (it is the caller's). */
  close(): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const host = options.host ?? '127.0.0.1';
  const server = new Server({
    'grpc.max_receive_message_length': options.maxReceiveBytes ?? Math.max(64 * 1024 * 1024, 8 * DEFAULT_MAX_REQUEST_BYTES),
    'grpc.max_send_message_length': -1,
  });
  const hostPort = (p: number) => `${host.includes(':') ? `[${host}]` : host}:${p}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort(options.port ?? 0), ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const endpoint = hostPort(port);
  const cluster = options.clusterInfo ?? singleMemberCluster({ clientUrls: [`http://${endpoint}`] });
  const ctx = new ServiceContext(options.store, cluster);
  const sessions = new Set<WatchSession>();
  const services = etcdServices();
  server.addService(services.KV, kvService(ctx));
  server.addService(services.Watch, watchService(ctx, sessions));
  server.addService(services.Lease, leaseService(ctx));
  server.addService(services.Cluster, clusterService(ctx));
  server.addService(services.Maintenance, maintenanceService(ctx));

  let closing: Promise<void> | undefined;
  return {
    port,
    endpoint,
    cluster,
    close: () =>
      (closing ??= (async () => {
        await Promise.all([...sessions].map((s) => s.close()));
        sessions.clear();
        // Streams (watches, keep-alives) never end by themselves: don't wait for them.
        server.forceShutdown();
      })()),
  };
}
