// pods/exec and pods/attach: PodExecOptions/PodAttachOptions from the query, the container
// checks, then the client's upgrade: WebSocket clients are relayed to the agent's WebSocket,
// SPDY clients bridged to it (see spdy-remotecommand.ts).
import type { Request, Response } from 'express';
import type { WebSocketServer } from 'ws';
import { apiErrors } from '../../api/errors.ts';
import { REMOTE_COMMAND_PROTOCOLS } from '../../lib/streams/channel.ts';
import { boolParam, param, type Query, type ResourceRequest, type RestContext } from '../rest.ts';
import type { KubeletClient } from './kubelet-client.ts';
import { AGENT_PROTOCOL, bridgeSpdyRemoteCommand, SPDY_REMOTE_COMMAND_PROTOCOLS, type RequestedStreams } from './spdy-remotecommand.ts';
import { acceptSpdy, spdyProtocol } from './spdy-upgrade.ts';
import { streamContainer } from './target.ts';
import { upgradeKind } from './upgrade.ts';
import { relayWebSocket } from './ws-relay.ts';

/** All values of a repeated query parameter (command=sh&command=-c&...). */
export function allParams(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
}

/** The agent's query: command values and the kubelet's 1-flags (upstream's streamParams). */
export function agentQuery(o: RequestedStreams, command: string[]): URLSearchParams {
  const q = new URLSearchParams();
  if (o.stdin) q.set('input', '1');
  if (o.stdout) q.set('output', '1');
  if (o.stderr) q.set('error', '1');
  if (o.tty) q.set('tty', '1');
  for (const c of command) q.append('command', c);
  return q;
}

export async function serveRemoteCommand(kind: 'exec' | 'attach', req: Request, res: Response, r: ResourceRequest, ctx: RestContext, kubelet: KubeletClient, wss: WebSocketServer): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
  const q = req.query as Query;
  const o: RequestedStreams = { stdin: boolParam(q, 'stdin') ?? false, stdout: boolParam(q, 'stdout') ?? false, stderr: boolParam(q, 'stderr') ?? false, tty: boolParam(q, 'tty') ?? false };
  const command = kind === 'exec' ? allParams(q, 'command') : [];
  const pod = await ctx.storage.get(r.d, r.namespace, r.name!);
  const { container, nodeName } = streamContainer(pod, param(q, 'container') || undefined);
  const upgrade = upgradeKind(req);
  if (!upgrade) throw apiErrors.badRequest('Upgrade request required');
  const ep = await kubelet.endpoint(ctx, nodeName);
  const path = `/${kind}/${encodeURIComponent(r.namespace!)}/${encodeURIComponent(r.name!)}/${encodeURIComponent(container)}`;
  const query = agentQuery(o, command);
  if (upgrade === 'websocket') return relayWebSocket(wss, req, res, REMOTE_COMMAND_PROTOCOLS, (protocols) => kubelet.websocket(ep, path, query, protocols));
  if (upgrade !== 'spdy/3.1') throw apiErrors.badRequest(`unsupported upgrade protocol ${JSON.stringify(req.headers.upgrade)}`);
  const protocol = spdyProtocol(req, res, SPDY_REMOTE_COMMAND_PROTOCOLS);
  const agent = await kubelet.websocket(ep, path, query, [AGENT_PROTOCOL.name]);
  bridgeSpdyRemoteCommand(acceptSpdy(req, res, protocol), agent, protocol, o);
}
