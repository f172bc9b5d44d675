// Where container logs go and how they get there: one CRI-format file per container run,
// <logs>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log as under /var/log/pods,
// written by the kubelet server's CriLogWriter (which reads them back for `kubectl logs`).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { CriLogWriter, type LogStream } from '../kubelet-server/cri-log.ts';

/** The file of run `restartCount` of a container. */
export function containerLogPath(logsRoot: string, pod: { namespace: string; name: string; uid: string }, container: string, restartCount: number): string {
  return join(logsRoot, `${pod.namespace}_${pod.name}_${pod.uid}`, container, `${restartCount}.log`);
}

/** The directory of a pod's logs. */
export function podLogDir(logsRoot: string, pod: { namespace: string; name: string; uid: string }): string {
  return join(logsRoot, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** Copies a container's output streams into its log file; resolves once both ended and the file is written. */
export function pipeToLog(path: string, streams: Partial<Record<LogStream, Readable | null>>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const writer = new CriLogWriter(path);
  const ends = Object.entries(streams).map(
    ([name, s]) =>
      new Promise<void>((resolve) => {
        if (!s) return resolve();
        s.on('data', (c: Buffer) => writer.write(name as LogStream, c));
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      }),
  );
  return Promise.all(ends).then(() => writer.end());
}
