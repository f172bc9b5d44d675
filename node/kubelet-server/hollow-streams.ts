// ContainerStreams for hollow (simulated) nodes, whose containers run nothing: their logs are
// empty, and exec, attach and port-forward are refused with a message saying why, so that
// `kubectl logs` works on hollow pods and the rest fails clearly instead of with a dial error.
import { Readable, type Duplex } from 'node:stream';
import { StreamError, type ContainerProcess, type ContainerStreams, type PodRef } from './types.ts';

const nothing = (what: string, pod: PodRef) => `${what} is not possible on a hollow node: pod ${pod.namespace}/${pod.name} runs no processes`;

export class HollowStreams implements ContainerStreams {
  async logs(): Promise<Readable> {
    return Readable.from([]);
  }

  async exec(pod: PodRef): Promise<ContainerProcess> {
    throw new StreamError(400, nothing('exec', pod));
  }

  async attach(pod: PodRef): Promise<ContainerProcess> {
    throw new StreamError(400, nothing('attach', pod));
  }

  async portForward(pod: PodRef): Promise<Duplex> {
    throw new Error(nothing('port-forward', pod));
  }
}
