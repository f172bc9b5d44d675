// pods/log: PodLogOptions from the query (upstream's parsing and validation), the container
// checks, then the node agent's /containerLogs streamed back as text/plain, flushed as it
// comes (follow keeps it open until the container stops or the client leaves).
import type { Request, Response } from 'express';
import { apiErrors, type FieldError } from '../../api/errors.ts';
import { boolParam, intParam, param, type Query, type ResourceRequest, type RestContext } from '../rest.ts';
import type { KubeletClient } from './kubelet-client.ts';
import { checkLogStatus, logContainer } from './target.ts';

export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
}

/** PodLogOptions from a query: 400 for what does not parse, 422 for what is invalid. */
export function podLogOptions(q: Query, podName: string): PodLogOptions {
  const o: PodLogOptions = {
    container: param(q, 'container') || undefined,
    follow: boolParam(q, 'follow') ?? false,
    previous: boolParam(q, 'previous') ?? false,
    timestamps: boolParam(q, 'timestamps') ?? false,
    sinceSeconds: intParam(q, 'sinceSeconds'),
    tailLines: intParam(q, 'tailLines'),
    limitBytes: intParam(q, 'limitBytes'),
  };
  boolParam(q, 'insecureSkipTLSVerifyBackend'); // accepted: the agents' certificates are never verified
  const sinceTime = param(q, 'sinceTime');
  if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime)) || !/^\d{4}-\d\d-\d\dT/.test(sinceTime)) throw apiErrors.badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    o.sinceTime = sinceTime;
  }
  const errs: FieldError[] = [];
  if (o.tailLines !== undefined && o.tailLines < 0) errs.push({ type: 'FieldValueInvalid', field: 'tailLines', message: `Invalid value: ${o.tailLines}: must be greater than or equal to 0` });
  if (o.limitBytes !== undefined && o.limitBytes < 1) errs.push({ type: 'FieldValueInvalid', field: 'limitBytes', message: `Invalid value: ${o.limitBytes}: must be greater than 0` });
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) errs.push({ type: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  else if (o.sinceSeconds !== undefined && o.sinceSeconds < 1) errs.push({ type: 'FieldValueInvalid', field: 'sinceSeconds', message: `Invalid value: ${o.sinceSeconds}: must be greater than 0` });
  if (errs.length) throw apiErrors.invalid('PodLogOptions', '', podName, errs);
  return o;
}

/** The agent's /containerLogs query for the options. */
export function containerLogsQuery(o: PodLogOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (o.follow) q.set('follow', 'true');
  if (o.previous) q.set('previous', 'true');
  if (o.timestamps) q.set('timestamps', 'true');
  if (o.sinceSeconds !== undefined) q.set('sinceSeconds', String(o.sinceSeconds));
  if (o.sinceTime !== undefined) q.set('sinceTime', o.sinceTime);
  if (o.tailLines !== undefined) q.set('tailLines', String(o.tailLines));
  if (o.limitBytes !== undefined) q.set('limitBytes', String(o.limitBytes));
  return q;
}

export async function serveLog(req: Request, res: Response, r: ResourceRequest, ctx: RestContext, kubelet: KubeletClient): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
  const name = r.name!;
  const o = podLogOptions(req.query as Query, name);
  const pod = await ctx.storage.get(r.d, r.namespace, name);
  const container = logContainer(pod, o.container);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  // A pod not on a node yet has no logs: an empty answer, as upstream gives.
  if (!nodeName) return void res.status(200).type('text/plain').end();
  checkLogStatus(pod, container, o.previous);
  const ep = await kubelet.endpoint(ctx, nodeName);
  // The client may leave at any time: the agent's request goes with it.
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const upstream = await kubelet.get(ep, `/containerLogs/${encodeURIComponent(r.namespace!)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`, containerLogsQuery(o), gone.signal);
  res.status(200);
  res.setHeader('Content-Type', 'text/plain');
  res.flushHeaders();
  upstream.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) {
      upstream.pause();
      res.once('drain', () => upstream.resume());
    }
  });
  upstream.once('end', () => res.end());
  upstream.once('error', () => res.destroy());
  upstream.once('aborted', () => res.destroy());
}
