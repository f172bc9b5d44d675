// How the API server reaches a node agent's kubelet endpoint: the Node's InternalIP and
// status.daemonEndpoints.kubeletEndpoint.Port, over HTTPS with a client certificate of its own
// (CN kube-apiserver-kubelet-client, O system:masters, signed by the cluster CA, made in memory
// at first use). Like upstream without --kubelet-certificate-authority, the agent's serving
// certificate is not verified. The agent's HTTP failures become API errors.
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { WebSocket } from 'ws';
import { ApiError, apiErrors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/registry/descriptor.ts';
import { issueClientCertificate, type Pki } from '../certs.ts';
import type { RestContext } from '../rest.ts';

export interface KubeletEndpoint {
  host: string;
  port: number;
}

type J = Record<string, any>;

/** Where a Node's kubelet listens (InternalIP, then any address; port 10250 when unset). */
export function kubeletEndpointOf(node: KubeObject): KubeletEndpoint | undefined {
  const status = (node.status ?? {}) as J;
  const addresses = (status.addresses ?? []) as { type?: string; address?: string }[];
  const host = (addresses.find((a) => a.type === 'InternalIP') ?? addresses[0])?.address;
  if (!host) return undefined;
  const port = Number(status.daemonEndpoints?.kubeletEndpoint?.Port) || 10250;
  return { host, port };
}

const hostPort = (ep: KubeletEndpoint) => `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;

/** A dial failure in Go's words, as upstream reports it. */
function dialError(ep: KubeletEndpoint, err: NodeJS.ErrnoException): string {
  const why =
    err.code === 'ECONNREFUSED'
      ? 'connect: connection refused'
      : err.code === 'ETIMEDOUT'
        ? 'i/o timeout'
        : err.code === 'EHOSTUNREACH'
          ? 'connect: no route to host'
          : err.message;
  return `dial tcp ${hostPort(ep)}: ${why}`;
}

/** The kubelet's error answer as the API server relays it (upstream's GenericHttpResponseChecker). */
export function kubeletError(code: number, body: string): ApiError {
  const text = body.trim();
  if (code === 400) return apiErrors.badRequest(text);
  if (code === 403) return apiErrors.forbidden(text);
  if (code === 404) return new ApiError(404, 'NotFound', text || 'the server could not find the requested resource');
  if (code >= 500) return apiErrors.internal(text);
  return new ApiError(code, '', text || `the server responded with the status code ${code} but did not return more information`);
}

async function readText(res: IncomingMessage, limit = 64 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (n < limit) parts.push(chunk);
    n += chunk.length;
  }
  return Buffer.concat(parts).toString('utf8').slice(0, limit);
}

export class KubeletClient {
  private creds?: { cert: string; key: string };

  constructor(private readonly pki: Pick<Pki, 'caKey'>) {}

  private credentials(): { cert: string; key: string } {
    this.creds ??= issueClientCertificate(this.pki, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] });
    return this.creds;
  }

  /** The endpoint of the node a pod runs on. */
  async endpoint(ctx: RestContext, nodeName: string): Promise<KubeletEndpoint> {
    const nodes = ctx.registry.get('', 'v1', 'nodes');
    if (!nodes) throw apiErrors.internal('nodes are not served');
    let node: KubeObject;
    try {
      node = await ctx.storage.get(nodes, undefined, nodeName);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) throw apiErrors.badRequest(`node "${nodeName}" not found`);
      throw err;
    }
    const ep = kubeletEndpointOf(node);
    if (!ep) throw apiErrors.badRequest(`node ${nodeName} has no address`);
    return ep;
  }

  url(ep: KubeletEndpoint, path: string, query: URLSearchParams, scheme = 'https'): string {
    const q = query.toString();
    return `${scheme}://${hostPort(ep)}${path}${q ? `?${q}` : ''}`;
  }

  /** GET on the kubelet: the response when it is 200, its error as an ApiError otherwise. */
  get(ep: KubeletEndpoint, path: string, query: URLSearchParams, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = this.url(ep, path, query);
    return new Promise((resolve, reject) => {
      const req = request(url, { ...this.credentials(), rejectUnauthorized: false, method: 'GET', agent: false, signal }, (res) => {
        if (res.statusCode === 200) return resolve(res);
        readText(res).then((body) => reject(kubeletError(res.statusCode ?? 500, body)), reject);
      });
      req.once('error', (err: NodeJS.ErrnoException) => reject(new ApiError(500, '', `Get "${url}": ${dialError(ep, err)}`)));
      req.end();
    });
  }

  /**
   * A WebSocket to the kubelet, open and paused (no message is lost before the caller listens:
   * it resumes it); the kubelet's refusal as an ApiError.
   */
  websocket(ep: KubeletEndpoint, path: string, query: URLSearchParams, protocols: string[]): Promise<WebSocket> {
    const ws = new WebSocket(this.url(ep, path, query, 'wss'), protocols, { ...this.credentials(), rejectUnauthorized: false, perMessageDeflate: false, handshakeTimeout: 30_000 });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.pause();
        resolve(ws);
      });
      ws.once('unexpected-response', (_req, res) => {
        readText(res)
          .then((body) => reject(kubeletError(res.statusCode ?? 500, body)), reject)
          .finally(() => ws.terminate());
      });
      ws.once('error', (err: NodeJS.ErrnoException) => reject(new ApiError(500, '', `error dialing backend: ${dialError(ep, err)}`)));
    });
  }
}
