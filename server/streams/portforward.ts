// pods/portforward: SPDY clients (kubectl up to 1.30, and later ones falling back), SPDY
// tunnelled in a WebSocket (kubectl 1.31+, subprotocol SPDY/3.1+portforward.k8s.io), and
// WebSocket clients of the channel protocol (@kubernetes/client-node; ports in the query),
// relayed to the agent.
import type { Request, Response } from 'express';
import { createWebSocketStream, type WebSocketServer } from 'ws';
import { apiErrors } from '../../api/errors.ts';
import { offeredProtocols, PORT_FORWARD_PROTOCOLS } from '../../lib/streams/channel.ts';
import type { Query, ResourceRequest, RestContext } from '../rest.ts';
import type { KubeletClient } from './kubelet-client.ts';
import { SpdySession } from './spdy/session.ts';
import { bridgeSpdyPortForward, PORT_FORWARD_AGENT_PROTOCOL } from './spdy-portforward.ts';
import { allParams } from './remotecommand.ts';
import { acceptSpdy, spdyProtocol } from './spdy-upgrade.ts';
import { upgradeKind } from './upgrade.ts';
import { acceptWebSocket, relayWebSocket } from './ws-relay.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

export async function servePortForward(req: Request, res: Response, r: ResourceRequest, ctx: RestContext, kubelet: KubeletClient, wss: WebSocketServer): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
  const name = r.name!;
  const pod = await ctx.storage.get(r.d, r.namespace, name);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!nodeName) throw apiErrors.badRequest(`pod ${name} does not have a host assigned`);
  const upgrade = upgradeKind(req);
  if (!upgrade) throw apiErrors.badRequest('Upgrade request required');
  const ep = await kubelet.endpoint(ctx, nodeName);
  const path = `/portForward/${encodeURIComponent(r.namespace!)}/${encodeURIComponent(name)}`;
  const podName = `${r.namespace}/${name}`;
  const dialPort = (port: number) => kubelet.websocket(ep, path, new URLSearchParams({ port: String(port) }), [PORT_FORWARD_AGENT_PROTOCOL.name]);

  if (upgrade === 'websocket') {
    if (offeredProtocols(req.headers['sec-websocket-protocol']).includes(TUNNEL_PROTOCOL)) {
      const ws = await acceptWebSocket(wss, req, res, TUNNEL_PROTOCOL);
      return bridgeSpdyPortForward(new SpdySession(createWebSocketStream(ws)), podName, dialPort);
    }
    const query = new URLSearchParams(allParams(req.query as Query, 'ports').map((p) => ['port', p]));
    return relayWebSocket(wss, req, res, PORT_FORWARD_PROTOCOLS, (protocols) => kubelet.websocket(ep, path, query, protocols));
  }
  if (upgrade !== 'spdy/3.1') throw apiErrors.badRequest(`unsupported upgrade protocol ${JSON.stringify(req.headers.upgrade)}`);
  const protocol = spdyProtocol(req, res, [PORT_FORWARD_PROTOCOL]);
  bridgeSpdyPortForward(acceptSpdy(req, res, protocol), podName, dialPort);
}
