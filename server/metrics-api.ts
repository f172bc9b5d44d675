// The resource metrics API (metrics.k8s.io/v1beta1 nodes and pods: `kubectl top`, the HPA),
// served in-process the way metrics-server serves it behind the aggregator: get and list,
// label and field selectors applied to the nodes and pods themselves, JSON, YAML or a Table.
// The usage comes from the reports node agents keep in their Leases (api/metrics/), so every
// API server of a replicated control plane answers the same.
import type { Request, Response } from 'express';
import { apiErrors } from '../api/errors.ts';
import type { KubeObject, ResourceDescriptor } from '../api/registry/descriptor.ts';
import { metricsList, nodeMetrics, podMetrics, reportOf, usageReports } from '../api/metrics/resource-metrics.ts';
import { METRICS_GROUP } from '../api/metrics/resources.ts';
import type { UsageReport } from '../api/metrics/usage-report.ts';
import { parseIncludeObject, partialObjectMetadataList, toTable } from '../api/table.ts';
import { chooseOutput, methodNotAllowed, sendObject } from './respond.ts';
import { predicateFor, type RestContext, type SubresourceHandler, type ResourceRequest } from './rest.ts';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';

function param(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (Array.isArray(v)) return v.length ? String(v[0]) : undefined;
  return v === undefined ? undefined : String(v);
}

function core(ctx: RestContext, group: string, plural: string): ResourceDescriptor {
  const d = ctx.registry.get(group, 'v1', plural);
  if (!d) throw apiErrors.internal(`${plural} are not served`);
  return d;
}

/** Parsed reports by Lease resourceVersion, so a list parses only the reports that changed. */
class ReportCache {
  private parsed = new Map<string, { rv: string; report: UsageReport | undefined }>();

  async reports(ctx: RestContext, now: number): Promise<Map<string, UsageReport>> {
    const leases = (await ctx.storage.list(core(ctx, 'coordination.k8s.io', 'leases'), NODE_LEASE_NAMESPACE, { resourceVersion: '0' })).items as KubeObject[];
    const next = new Map<string, { rv: string; report: UsageReport | undefined }>();
    const result = usageReports(leases, now, (lease) => {
      const name = lease.metadata?.name ?? '';
      const rv = lease.metadata?.resourceVersion ?? '';
      const hit = this.parsed.get(name);
      const entry = hit && hit.rv === rv ? hit : { rv, report: reportOf(lease) };
      next.set(name, entry);
      return entry.report;
    });
    this.parsed = next;
    return result;
  }
}

/** Answers a list or one object as the client asked: JSON or YAML, a Table, or partial metadata. */
function respond(req: Request, res: Response, d: ResourceDescriptor, body: KubeObject, one: boolean): void {
  // The metrics types have no protobuf encoding here: JSON, the clients' fallback.
  const output = chooseOutput(req.headers.accept, true, false, false);
  const items = one ? [body] : (body.items as KubeObject[]);
  if (output.kind === 'table' || output.kind === 'partial') {
    const version = output.metaVersion === 'v1beta1' ? 'v1beta1' : 'v1';
    let includeObject;
    try {
      includeObject = parseIncludeObject(param(req, 'includeObject'));
    } catch (err) {
      throw apiErrors.badRequest((err as Error).message);
    }
    const view = output.kind === 'table' ? toTable(d, items, { includeObject, version }) : partialObjectMetadataList(items, {}, version);
    return sendObject(req, res, 200, view, { kind: 'json', pretty: output.pretty });
  }
  sendObject(req, res, 200, body, output);
}

function checkRead(req: Request): void {
  const watch = param(req, 'watch');
  if ((req.method !== 'GET' && req.method !== 'HEAD') || (watch !== undefined && watch !== 'false' && watch !== '0')) throw methodNotAllowed();
}

async function serveNodes(cache: ReportCache, req: Request, res: Response, r: ResourceRequest, ctx: RestContext): Promise<void> {
  checkRead(req);
  const now = new Date();
  const reports = await cache.reports(ctx, now.getTime());
  const nodes = core(ctx, '', 'nodes');
  if (r.name !== undefined) {
    const node = await ctx.storage.get(nodes, undefined, r.name);
    const report = reports.get(r.name);
    if (!report) throw apiErrors.notFound(r.d.plural, r.d.group, r.name);
    return respond(req, res, r.d, nodeMetrics(node, report, now), true);
  }
  const predicate = predicateFor(r.d, param(req, 'labelSelector'), param(req, 'fieldSelector'));
  const list = (await ctx.storage.list(nodes, undefined, { resourceVersion: '0', predicate })).items as KubeObject[];
  const items: KubeObject[] = [];
  for (const node of list) {
    const report = reports.get(node.metadata?.name ?? '');
    if (report) items.push(nodeMetrics(node, report, now));
  }
  items.sort((a, b) => cmp(a.metadata?.name, b.metadata?.name));
  respond(req, res, r.d, metricsList('NodeMetricsList', items), false);
}

async function servePods(cache: ReportCache, req: Request, res: Response, r: ResourceRequest, ctx: RestContext): Promise<void> {
  checkRead(req);
  const now = new Date();
  const reports = await cache.reports(ctx, now.getTime());
  const pods = core(ctx, '', 'pods');
  const reportFor = (pod: KubeObject) => reports.get(String((pod.spec as { nodeName?: string } | undefined)?.nodeName ?? ''));
  if (r.name !== undefined) {
    const pod = await ctx.storage.get(pods, r.namespace, r.name);
    const m = podMetrics(pod, reportFor(pod), now);
    if (!m) throw apiErrors.notFound(r.d.plural, r.d.group, `${r.namespace}/${r.name}`);
    return respond(req, res, r.d, m, true);
  }
  const predicate = predicateFor(r.d, param(req, 'labelSelector'), param(req, 'fieldSelector'));
  const list = (await ctx.storage.list(pods, r.namespace, { resourceVersion: '0', predicate })).items as KubeObject[];
  const items: KubeObject[] = [];
  for (const pod of list) {
    const m = podMetrics(pod, reportFor(pod), now);
    if (m) items.push(m);
  }
  items.sort((a, b) => cmp(a.metadata?.namespace, b.metadata?.namespace) || cmp(a.metadata?.name, b.metadata?.name));
  respond(req, res, r.d, metricsList('PodMetricsList', items), false);
}

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The whole-resource handlers of metrics.k8s.io, keyed `<group>/<plural>` as the REST layer looks them up. */
export function metricsHandlers(): [string, SubresourceHandler][] {
  const cache = new ReportCache();
  return [
    [`${METRICS_GROUP}/nodes`, (req, res, r, ctx) => serveNodes(cache, req, res, r, ctx)],
    [`${METRICS_GROUP}/pods`, (req, res, r, ctx) => servePods(cache, req, res, r, ctx)],
  ];
}
