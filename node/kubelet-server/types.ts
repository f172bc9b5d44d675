// What a container runtime implements so that the kubelet server can serve its containers'
// logs, exec, attach and port-forward (the streaming part of upstream's CRI, as a Node API).
import type { Duplex, Readable, Writable } from 'node:stream';

export interface PodRef {
  namespace: string;
  name: string;
}

/** The kubelet's view of PodLogOptions (validated by the API server before it gets here). */
export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** From sinceTime, or now minus sinceSeconds. */
  sinceTime?: Date;
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** A command running in a container (exec), or a session on its main process (attach). */
export interface ContainerProcess {
  /** Present when stdin was asked for; ended when the client closes its stdin. */
  stdin?: Writable;
  /** Present when asked for (with tty, stdout carries the terminal and there is no stderr). */
  stdout?: Readable;
  stderr?: Readable;
  /** Terminal size changes (tty only). */
  resize?(size: TerminalSize): void;
  /** The exit code once the command ended (attach: 0 when the session ends). */
  exited: Promise<number>;
  /** The client went away: stop the command (exec) or detach (attach). */
  close(): void;
}

export interface ContainerStreams {
  /** The container's log as the options select it; ends when done (with follow: when the container stops). */
  logs(pod: PodRef, container: string, options: LogOptions): Promise<Readable>;
  exec(pod: PodRef, container: string, command: string[], options: StreamOptions): Promise<ContainerProcess>;
  attach(pod: PodRef, container: string, options: StreamOptions): Promise<ContainerProcess>;
  /** A connection to the port inside the pod's network. */
  portForward(pod: PodRef, port: number): Promise<Duplex>;
}

/**
 * A failure the kubelet answers with an HTTP status before any stream starts, e.g.
 * `new StreamError(404, 'container not found ("c")')` or a 400 for a container not running.
 */
export class StreamError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'StreamError';
  }
}
