// etcd's Lease service over a Store: Grant, Revoke, KeepAlive (a stream answered in
// order), TimeToLive (with keys), Leases.
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { errors, isStoreError } from '../errors.ts';
import { rpcErrors } from './errors.ts';
import type { ServiceContext } from './context.ts';
import { int, leaseId, type WireHeader } from './wire.ts';

interface IdRequest {
  ID: string;
}

interface KeepAliveResponse {
  header: WireHeader;
  ID: string;
  TTL: string;
}

export function leaseService(ctx: ServiceContext): UntypedServiceImplementation {
  const { store } = ctx;
  return {
    LeaseGrant: ctx.unary(async (req: { TTL: string; ID: string }) => {
      const id = leaseId(req.ID);
      if (id < 0) throw rpcErrors.unimplemented(`lease ids above ${Number.MAX_SAFE_INTEGER} are not supported`);
      const g = await store.leaseGrant(int(req.TTL), id);
      return { header: await ctx.currentHeader(), ID: String(g.id), TTL: String(g.ttl), error: '' };
    }),

    LeaseRevoke: ctx.unary(async (req: IdRequest) => {
      const id = leaseId(req.ID);
      if (id <= 0) throw errors.leaseNotFound();
      const h = await store.leaseRevoke(id);
      return { header: ctx.header(h.revision) };
    }),

    LeaseTimeToLive: ctx.unary(async (req: IdRequest & { keys: boolean }) => {
      const id = leaseId(req.ID);
      const header = await ctx.currentHeader();
      if (id <= 0) return { header, ID: req.ID, TTL: '-1', grantedTTL: '0', keys: [] };
      const t = await store.leaseTimeToLive(id, { keys: req.keys });
      return { header, ID: req.ID, TTL: String(t.ttl), grantedTTL: String(t.grantedTtl), keys: t.keys };
    }),

    LeaseLeases: ctx.unary(async () => {
      const ids = await store.leases();
      return { header: await ctx.currentHeader(), leases: ids.map((id) => ({ ID: String(id) })) };
    }),

    LeaseKeepAlive: (call: ServerDuplexStream<IdRequest, KeepAliveResponse>) => {
      let queue = Promise.resolve();
      let over = false;
      const keepAlive = async (req: IdRequest) => {
        if (over) return;
        const id = leaseId(req.ID);
        let ttl = 0;
        try {
          if (id > 0) ttl = await store.leaseKeepAlive(id);
        } catch (e) {
          // As etcd: an unknown (expired, revoked) lease is answered with TTL 0, not an error.
          if (!isStoreError(e, 'lease-not-found')) {
            over = true;
            call.emit('error', ctx.fail(e));
            return;
          }
        }
        const header = await ctx.currentHeader();
        if (!over && !call.writableEnded && !call.destroyed) call.write({ header, ID: req.ID, TTL: String(ttl) });
      };
      call.on('data', (req: IdRequest) => {
        queue = queue.then(() => keepAlive(req)).catch((e: unknown) => {
          if (over) return;
          over = true;
          call.emit('error', ctx.fail(e));
        });
      });
      // The client closed its side: answer what is queued, then end the stream (as etcd).
      call.on('end', () => {
        void queue.then(() => {
          if (!over && !call.writableEnded && !call.destroyed) call.end();
          over = true;
        });
      });
      const stop = () => {
        over = true;
      };
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
}
