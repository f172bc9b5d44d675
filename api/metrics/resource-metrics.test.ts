import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFresh, metricsList, nodeMetrics, podMetrics, usageReports } from './resource-metrics.ts';
import { podMetricsResource } from './resources.ts';
import { encodeUsageReport, parseUsageReport, USAGE_ANNOTATION, type UsageReport } from './usage-report.ts';
import { toTable } from '../table.ts';

const NOW = Date.parse('2024-05-01T12:00:30Z');
const report: UsageReport = {
  timestamp: '2024-05-01T12:00:25Z',
  windowSeconds: 10,
  node: { cpu: '1250m', memory: String(512 * 1024 * 1024) },
  pods: { 'default/web': { nginx: { cpu: '200m', memory: '50331648' }, sidecar: { cpu: '1500m', memory: '1048576' } } },
};

const lease = (name: string, r: UsageReport | string) => ({ metadata: { name, namespace: 'kube-node-lease', annotations: { [USAGE_ANNOTATION]: typeof r === 'string' ? r : encodeUsageReport(r) } } });
const runningPod = (phase = 'Running') => ({ metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { nodeName: 'n1' }, status: { phase } });

describe('usage reports', () => {
  it('parses only well-formed reports', () => {
    assert.deepEqual(parseUsageReport(encodeUsageReport(report)), report);
    for (const bad of ['', 'nope', '{}', JSON.stringify({ ...report, windowSeconds: 0 }), JSON.stringify({ ...report, node: { cpu: 1 } }), JSON.stringify({ ...report, pods: { x: { c: {} } } })]) {
      assert.equal(parseUsageReport(bad), undefined, bad);
    }
  });

  it('drops reports older than three windows (at least a minute)', () => {
    assert.ok(isFresh(report, Date.parse('2024-05-01T12:01:25Z')));
    assert.ok(!isFresh(report, Date.parse('2024-05-01T12:01:26Z')));
    assert.ok(isFresh({ ...report, windowSeconds: 60 }, Date.parse('2024-05-01T12:03:25Z')));
    const reports = usageReports([lease('n1', report), lease('n2', { ...report, timestamp: '2024-05-01T11:00:00Z' }), lease('n3', 'garbage')], NOW);
    assert.deepEqual([...reports.keys()], ['n1']);
  });
});

describe('NodeMetrics and PodMetrics', () => {
  it('a node: its labels, the report time and window, usage as metrics-server writes quantities', () => {
    const m = nodeMetrics({ metadata: { name: 'n1', labels: { zone: 'a' } } }, report, new Date(NOW));
    assert.deepEqual(m, {
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'n1', creationTimestamp: '2024-05-01T12:00:30Z', labels: { zone: 'a' } },
      timestamp: '2024-05-01T12:00:25Z',
      window: '10s',
      usage: { cpu: '1250m', memory: '512Mi' },
    });
  });

  it('a Running pod in its node’s report; others have none', () => {
    const m = podMetrics(runningPod(), report, new Date(NOW))!;
    assert.deepEqual(m.metadata, { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T12:00:30Z', labels: { app: 'web' } });
    assert.deepEqual(m.containers, [
      { name: 'nginx', usage: { cpu: '200m', memory: '48Mi' } },
      { name: 'sidecar', usage: { cpu: '1500m', memory: '1Mi' } },
    ]);
    assert.equal(podMetrics(runningPod('Pending'), report, new Date(NOW)), undefined);
    assert.equal(podMetrics(runningPod(), undefined, new Date(NOW)), undefined);
    assert.equal(podMetrics({ ...runningPod(), metadata: { name: 'other', namespace: 'default' } }, report, new Date(NOW)), undefined);
  });

  it('lists carry items without kind, and the table sums a pod’s containers', () => {
    const m = podMetrics(runningPod(), report, new Date(NOW))!;
    const list = metricsList('PodMetricsList', [m]);
    assert.deepEqual(Object.keys((list.items as object[])[0]!), ['metadata', 'timestamp', 'window', 'containers']);
    const table = toTable(podMetricsResource, list.items as never[]);
    assert.deepEqual(
      table.columnDefinitions!.map((c) => c.name),
      ['Name', 'cpu', 'memory', 'Window'],
    );
    assert.deepEqual(table.rows[0]!.cells, ['web', '1700m', '49Mi', '10s']);
  });
});
