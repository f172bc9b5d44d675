// Kubernetes' channel protocols over WebSocket, shared by the node agents' kubelet server and
// the API server: every message carries one channel's bytes behind a channel byte (binary
// protocols) or behind an ASCII digit with the bytes in base64 (base64 protocols).
// Remote command channels: 0 stdin, 1 stdout, 2 stderr, 3 error (the status), 4 resize;
// v5 adds 255, "close channel N" (payload: N). Port-forward: data 2i and error 2i+1 per port.

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
export const CLOSE = 255;

export interface ChannelProtocol {
  /** As negotiated; '' when the client offered none (binary, v1 semantics). */
  name: string;
  base64: boolean;
  /** 5: close signal and JSON status; 4: JSON status; below: the status as plain error text. */
  version: number;
}

/** What the kubelet accepts for exec and attach, newest first. */
export const REMOTE_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v5.base64.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

/** What the kubelet accepts for port-forward over WebSocket (besides none). */
export const PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

export function channelProtocol(name: string): ChannelProtocol {
  const m = /^(?:v(\d+)\.)?(base64\.)?channel\.k8s\.io$/.exec(name);
  return { name, base64: !!m?.[2], version: m?.[1] ? Number(m[1]) : 1 };
}

/** The protocols in a Sec-WebSocket-Protocol header, in the client's order. */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Upstream's WebSocket handshake rule: the first protocol the client offers that the server
 * supports; '' (binary, oldest semantics) when the client offered none; undefined when nothing
 * offered is supported.
 */
export function negotiateProtocol(offered: string[], supported: string[]): string | undefined {
  if (offered.length === 0) return '';
  return offered.find((p) => supported.includes(p));
}

export interface Frame {
  channel: number;
  data: Buffer;
}

/** One message for a channel: the WebSocket payload and whether it is a binary message. */
export function encodeFrame(p: ChannelProtocol, channel: number, data: Buffer): { payload: Buffer | string; binary: boolean } {
  if (p.base64) return { payload: String.fromCharCode((48 + channel) & 0xff) + data.toString('base64'), binary: false };
  const payload = Buffer.allocUnsafe(data.length + 1);
  payload[0] = channel;
  data.copy(payload, 1);
  return { payload, binary: true };
}

/** A received message as channel and bytes; undefined for an empty message. */
export function decodeFrame(p: ChannelProtocol, message: Buffer): Frame | undefined {
  if (message.length === 0) return undefined;
  if (p.base64) return { channel: (message[0]! - 48) & 0xff, data: Buffer.from(message.subarray(1).toString('latin1'), 'base64') };
  return { channel: message[0]!, data: message.subarray(1) };
}
