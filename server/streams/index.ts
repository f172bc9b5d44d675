// The streaming subresources of pods (log, exec, attach, portforward), served by talking to
// the node agents' kubelet endpoints, for the app's subresources map.
import type { Pki } from '../certs.ts';
import type { SubresourceHandler } from '../rest.ts';
import { KubeletClient } from './kubelet-client.ts';
import { serveLog } from './log.ts';
import { servePortForward } from './portforward.ts';
import { serveRemoteCommand } from './remotecommand.ts';
import { handshakeServer } from './ws-relay.ts';

export { serveUpgrades } from './upgrade.ts';

export function streamHandlers(pki: Pick<Pki, 'caKey'>): Map<string, SubresourceHandler> {
  const kubelet = new KubeletClient(pki);
  const wss = handshakeServer();
  return new Map<string, SubresourceHandler>([
    ['pods/log', (req, res, r, ctx) => serveLog(req, res, r, ctx, kubelet)],
    ['pods/exec', (req, res, r, ctx) => serveRemoteCommand('exec', req, res, r, ctx, kubelet, wss)],
    ['pods/attach', (req, res, r, ctx) => serveRemoteCommand('attach', req, res, r, ctx, kubelet, wss)],
    ['pods/portforward', (req, res, r, ctx) => servePortForward(req, res, r, ctx, kubelet, wss)],
  ]);
}
