// GET /containerLogs/{namespace}/{pod}/{container}: the kubelet's log endpoint. The options
// come as the API server's PodLogOptions query (booleans as true/1); the body streams as
// text/plain until the runtime's log ends or the client goes away.
import type { ServerResponse } from 'node:http';
import type { ContainerStreams, LogOptions, PodRef } from './types.ts';
import { StreamError } from './types.ts';

const flag = (v: string | null) => v === 'true' || v === '1';

function integer(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new StreamError(400, `invalid ${name} ${JSON.stringify(v)}`);
  return Number(v);
}

/** The log options of a /containerLogs query. */
export function logOptionsFromQuery(q: URLSearchParams, now = new Date()): LogOptions {
  const o: LogOptions = { follow: flag(q.get('follow')), previous: flag(q.get('previous')), timestamps: flag(q.get('timestamps')) };
  const tailLines = integer(q, 'tailLines');
  if (tailLines !== undefined) o.tailLines = tailLines;
  const limitBytes = integer(q, 'limitBytes');
  if (limitBytes !== undefined) o.limitBytes = limitBytes;
  const sinceSeconds = integer(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined) o.sinceTime = new Date(now.getTime() - sinceSeconds * 1000);
  else if (sinceTime) {
    const ms = Date.parse(sinceTime);
    if (Number.isNaN(ms)) throw new StreamError(400, `invalid sinceTime ${JSON.stringify(sinceTime)}`);
    o.sinceTime = new Date(ms);
  }
  return o;
}

export async function serveLogs(res: ServerResponse, streams: ContainerStreams, pod: PodRef, container: string, query: URLSearchParams): Promise<void> {
  const body = await streams.logs(pod, container, logOptionsFromQuery(query));
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.flushHeaders();
  // The client went away (or the response is done): stop reading.
  res.once('close', () => body.destroy());
  body.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) {
      body.pause();
      res.once('drain', () => body.resume());
    }
  });
  body.once('end', () => res.end());
  body.once('error', () => res.destroy());
}
