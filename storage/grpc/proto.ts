// Loads our copy of etcd's v3 API (proto/) into gRPC service definitions. int64/uint64
// fields are decimal strings (they do not fit a double in general), bytes are Buffers,
// enums are their names, and a oneof's virtual field names the member that is set.
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

const PROTO_DIR = fileURLToPath(new URL('./proto', import.meta.url));

export interface EtcdServices {
  KV: ServiceDefinition;
  Watch: ServiceDefinition;
  Lease: ServiceDefinition;
  Cluster: ServiceDefinition;
  Maintenance: ServiceDefinition;
}

let cached: EtcdServices | undefined;

export function etcdServices(): EtcdServices {
  if (cached) return cached;
  const pkg = protoLoader.loadSync('etcdserverpb/rpc.proto', {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const service = (name: string) => pkg[`etcdserverpb.${name}`] as unknown as ServiceDefinition;
  cached = {
    KV: service('KV'),
    Watch: service('Watch'),
    Lease: service('Lease'),
    Cluster: service('Cluster'),
    Maintenance: service('Maintenance'),
  };
  return cached;
}
