// A bare gRPC client for etcd's v3 API built from our proto files, for tests that need
// fields no higher-level client exposes (nested txns, watch ids, filters, raw statuses).
import { credentials, makeGenericClientConstructor, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { etcdServices } from './proto.ts';

// Messages are loose objects in tests: proto-loader fills in defaults on the way back.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

export interface RawEtcdClient {
  kv(method: 'Range' | 'Put' | 'DeleteRange' | 'Txn' | 'Compact', req: Msg): Promise<Msg>;
  lease(method: 'LeaseGrant' | 'LeaseRevoke' | 'LeaseTimeToLive' | 'LeaseLeases', req: Msg): Promise<Msg>;
  maintenance(method: 'Status' | 'Alarm' | 'Defragment' | 'Hash' | 'HashKV' | 'MoveLeader', req: Msg): Promise<Msg>;
  cluster(method: 'MemberList' | 'MemberAdd', req: Msg): Promise<Msg>;
  watch(): ClientDuplexStream<Msg, Msg>;
  keepAlive(): ClientDuplexStream<Msg, Msg>;
  close(): void;
}

type Unary = (req: Msg, cb: (err: ServiceError | null, res: Msg) => void) => void;

export function rawEtcdClient(endpoint: string): RawEtcdClient {
  const s = etcdServices();
  const make = (def: typeof s.KV, name: string) =>
    new (makeGenericClientConstructor(def, name))(endpoint, credentials.createInsecure(), {
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
    });
  const kv = make(s.KV, 'KV');
  const watch = make(s.Watch, 'Watch');
  const lease = make(s.Lease, 'Lease');
  const cluster = make(s.Cluster, 'Cluster');
  const maintenance = make(s.Maintenance, 'Maintenance');
  const call = (client: Client, method: string, req: Msg) =>
    new Promise<Msg>((resolve, reject) =>
      ((client as unknown as Record<string, Unary>)[method]!).call(client, req, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const stream = (client: Client, method: string) =>
    (client as unknown as Record<string, () => ClientDuplexStream<Msg, Msg>>)[method]!.call(client);
  return {
    kv: (m, req) => call(kv, m, req),
    lease: (m, req) => call(lease, m, req),
    maintenance: (m, req) => call(maintenance, m, req),
    cluster: (m, req) => call(cluster, m, req),
    watch: () => stream(watch, 'Watch'),
    keepAlive: () => stream(lease, 'LeaseKeepAlive'),
    close: () => {
      for (const c of [kv, watch, lease, cluster, maintenance]) c.close();
    },
  };
}
