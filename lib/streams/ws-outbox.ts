// Sending on a WebSocket without unbounded buffering: the sources feeding it (a child's
// stdout, a socket, another WebSocket) pause while more than `limit` bytes wait to be
// written and resume once half of that went out.
import { WebSocket } from 'ws';

export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export class WsOutbox {
  private readonly paused = new Set<Pausable>();

  constructor(
    private readonly ws: WebSocket,
    private readonly limit = 1 << 20,
  ) {}

  send(payload: Buffer | string, binary: boolean, source?: Pausable): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(payload, { binary }, () => this.drained());
    if (source && this.ws.bufferedAmount > this.limit && !this.paused.has(source)) {
      this.paused.add(source);
      source.pause();
    }
  }

  private drained(): void {
    if (this.paused.size === 0 || this.ws.bufferedAmount > this.limit / 2) return;
    for (const s of this.paused) s.resume();
    this.paused.clear();
  }
}
