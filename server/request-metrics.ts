// apiserver_request_duration_seconds as kube-apiserver exports it at /metrics, in Prometheus'
// text format: a latency histogram per verb, dry_run, group, version, resource, subresource,
// scope and component, with upstream's buckets and label values (verbs GET, LIST, POST, PUT,
// PATCH, APPLY, DELETE, DELETECOLLECTION; WATCH and CONNECT are long-running and left out).
// ClusterLoader2's API call latency SLO is the p99 of these series.
import type { NextFunction, Request, Response } from 'express';

/** Upstream's buckets (seconds). */
export const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

const METRIC = 'apiserver_request_duration_seconds';
const HELP = `# HELP ${METRIC} [STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.\n# TYPE ${METRIC} histogram\n`;
/** Subresources that stream (upstream's CONNECT requests). */
const CONNECT = new Set(['attach', 'exec', 'log', 'portforward', 'proxy']);
/** Namespace subresources (not resources inside the namespace), as upstream's RequestInfo resolver. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export interface RequestLabels {
  verb: string;
  dryRun: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: 'resource' | 'namespace' | 'cluster';
}

const truthy = (v: unknown) => typeof v === 'string' && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

/** The labels of a resource request (undefined for anything else: discovery, health, /metrics...). */
export function requestLabels(method: string, path: string, query: Record<string, unknown>, contentType = ''): RequestLabels | undefined {
  const parts = path.split('/').filter((s) => s !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(2);
  } else return undefined;
  const version = rest[0]!;
  rest = rest.slice(1);
  let watch = truthy(query.watch);
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = rest;
  if (!resource) return undefined;
  const scope = name || method === 'POST' ? 'resource' : namespace ? 'namespace' : 'cluster';
  let verb = method === 'HEAD' ? 'GET' : method;
  if (verb === 'GET' && scope !== 'resource') verb = 'LIST';
  if (verb === 'DELETE' && !name) verb = 'DELETECOLLECTION';
  if (verb === 'PATCH' && contentType.startsWith('application/apply-patch')) verb = 'APPLY';
  if (watch || CONNECT.has(subresource)) return undefined;
  return { verb, dryRun: truthy(query.dryRun) ? 'All' : '', group, version, resource, subresource, scope };
}

interface Series {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  observe(l: RequestLabels, seconds: number): void {
    const key = `component="apiserver",dry_run="${l.dryRun}",group="${l.group}",resource="${l.resource}",scope="${l.scope}",subresource="${l.subresource}",verb="${l.verb}",version="${l.version}"`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: key, counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  /** The Prometheus text exposition of every series (cumulative buckets, as Prometheus expects). */
  text(): string {
    let out = HELP;
    for (const s of [...this.series.values()].sort((a, b) => (a.labels < b.labels ? -1 : 1))) {
      BUCKETS.forEach((b, i) => (out += `${METRIC}_bucket{${s.labels},le="${b}"} ${s.counts[i]}\n`));
      out += `${METRIC}_bucket{${s.labels},le="+Inf"} ${s.count}\n${METRIC}_sum{${s.labels}} ${s.sum}\n${METRIC}_count{${s.labels}} ${s.count}\n`;
    }
    return out;
  }

  /** Times every resource request from its arrival to its last byte. */
  middleware(): (req: Request, res: Response, next: NextFunction) => void {
    return (req, res, next) => {
      const labels = requestLabels(req.method, req.path, req.query as Record<string, unknown>, req.headers['content-type']);
      if (labels) {
        const start = performance.now();
        res.once('finish', () => this.observe(labels, (performance.now() - start) / 1000));
      }
      next();
    };
  }
}
