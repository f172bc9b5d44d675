// Container probes as the kubelet's prober runs them. The decisions are pure: timings with the
// API defaults, and a result that flips only after successThreshold successes or
// failureThreshold failures in a row (readiness starts failed, liveness succeeded, startup
// unknown). The checks themselves: httpGet (2xx/3xx is success), tcpSocket (a connection
// opens) and exec (exit code 0, run by the runtime inside the container), each bounded by
// timeoutSeconds.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

type J = Record<string, any>;

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeTimings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** A probe's timings with the API's defaults (period 10 s, timeout 1 s, thresholds 1 and 3). */
export function probeTimings(probe: J): ProbeTimings {
  const n = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  return {
    initialDelayMs: (typeof probe.initialDelaySeconds === 'number' && probe.initialDelaySeconds > 0 ? probe.initialDelaySeconds : 0) * 1000,
    periodMs: n(probe.periodSeconds, 10) * 1000,
    timeoutMs: n(probe.timeoutSeconds, 1) * 1000,
    successThreshold: n(probe.successThreshold, 1),
    failureThreshold: n(probe.failureThreshold, 3),
  };
}

/** One probe of one container run: its result so far and the streaks that move it. */
export class ProbeState {
  result: ProbeResult;
  private successes = 0;
  private failures = 0;

  constructor(
    readonly kind: ProbeKind,
    readonly timings: ProbeTimings,
  ) {
    this.result = kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
  }

  /** Records one check; true when the result changed. */
  record(ok: boolean): boolean {
    if (ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const before = this.result;
    if (ok && this.successes >= this.timings.successThreshold) this.result = 'success';
    else if (!ok && this.failures >= this.timings.failureThreshold) this.result = 'failure';
    return before !== this.result;
  }
}

export interface CheckOutcome {
  ok: boolean;
  /** Why it failed, as the Unhealthy event says it. */
  message: string;
}

/** A named port of the container, or the number given. */
export function resolvePort(port: unknown, container: J): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  const p = (container.ports ?? []).find((x: J) => x.name === port);
  return typeof p?.containerPort === 'number' ? p.containerPort : undefined;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function httpCheck(action: J, container: J, podIP: string, timeoutMs: number): Promise<CheckOutcome> {
  const port = resolvePort(action.port, container);
  if (port === undefined) return Promise.resolve({ ok: false, message: `unable to resolve port ${action.port}` });
  const host = action.host || podIP;
  const https = String(action.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const path = action.path ? (String(action.path).startsWith('/') ? action.path : `/${action.path}`) : '/';
  const url = `${https ? 'https' : 'http'}://${hostPort(host, port)}${path}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const code = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 1024) body += c;
      });
      res.on('end', () => resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` }));
      res.on('error', () => resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}` }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, message: `Get "${url}": ${dialError(hostPort(host, port), err)}` }));
    req.end();
  });
}

function dialError(addr: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  return `dial tcp ${addr}: ${err.message}`;
}

export function tcpCheck(action: J, container: J, podIP: string, timeoutMs: number): Promise<CheckOutcome> {
  const port = resolvePort(action.port, container);
  if (port === undefined) return Promise.resolve({ ok: false, message: `unable to resolve port ${action.port}` });
  const host = action.host || podIP;
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (o: CheckOutcome) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done({ ok: false, message: `dial tcp ${hostPort(host, port)}: i/o timeout` }), timeoutMs);
    sock.once('connect', () => done({ ok: true, message: '' }));
    sock.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: dialError(hostPort(host, port), err) }));
  });
}

/** Runs a command in the container: its exit code and output, or undefined on timeout. */
export type ExecInContainer = (command: string[], timeoutMs: number) => Promise<{ code: number; output: string } | undefined>;

/** One check of a probe (or a lifecycle handler, which has the same actions). */
export async function check(probe: J, container: J, podIP: string, timeoutMs: number, exec: ExecInContainer): Promise<CheckOutcome> {
  if (probe.httpGet) return httpCheck(probe.httpGet, container, podIP, timeoutMs);
  if (probe.tcpSocket) return tcpCheck(probe.tcpSocket, container, podIP, timeoutMs);
  if (probe.exec) {
    const r = await exec(probe.exec.command ?? [], timeoutMs);
    if (!r) return { ok: false, message: `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} timed out` };
    return r.code === 0 ? { ok: true, message: '' } : { ok: false, message: r.output.trim() || `command terminated with exit code ${r.code}` };
  }
  if (probe.grpc) return { ok: false, message: 'gRPC probes are not supported by the process runtime' };
  return { ok: false, message: 'probe has no handler' };
}
