// etcd's Watch service: one WatchSession per bidirectional stream.
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ServiceContext } from './context.ts';
import { WatchSession, type WireWatchRequest, type WireWatchResponse } from './watch-session.ts';

export function watchService(ctx: ServiceContext, sessions: Set<WatchSession>): UntypedServiceImplementation {
  return {
    Watch: (call: ServerDuplexStream<WireWatchRequest, WireWatchResponse>) => {
      const session = new WatchSession(ctx, (r) => {
        if (!call.writableEnded && !call.destroyed) call.write(r);
      });
      sessions.add(session);
      const stop = () => {
        sessions.delete(session);
        void session.close();
      };
      call.on('data', (req: WireWatchRequest) => session.receive(req));
      // The client's half-close ('end') leaves the watches running, as in etcd; the stream is
      // over when it is cancelled or closed.
      call.on('end', () => undefined);
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    },
  };
}
