import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_USAGE_ANNOTATION, MEMORY_USAGE_ANNOTATION, podUsage, usageReport } from './usage.ts';
import { parseUsageReport, encodeUsageReport } from '../../api/metrics/usage-report.ts';

function pod(name: string, annotations: Record<string, string> = {}, containers = ['c'], sidecars: string[] = []) {
  return {
    metadata: { name, namespace: 'default', annotations },
    spec: {
      initContainers: [{ name: 'init' }, ...sidecars.map((n) => ({ name: n, restartPolicy: 'Always' }))],
      containers: containers.map((n) => ({ name: n })),
    },
  };
}

describe('hollow pod usage', () => {
  it('an idle pod uses 1m CPU and 8Mi', () => {
    assert.deepEqual(podUsage(pod('p')), { c: { cpu: '1m', memory: String(8 * 1024 * 1024) } });
  });

  it('the annotations set the pod total, split across its running containers and sidecars', () => {
    const u = podUsage(pod('p', { [CPU_USAGE_ANNOTATION]: '250m', [MEMORY_USAGE_ANNOTATION]: '64Mi' }, ['a', 'b'], ['side']));
    assert.deepEqual(Object.keys(u), ['side', 'a', 'b']);
    assert.deepEqual(
      Object.values(u).map((x) => x.cpu),
      ['84m', '83m', '83m'],
    );
    assert.equal(
      Object.values(u).reduce((s, x) => s + Number(x.memory), 0),
      64 * 1024 * 1024,
    );
    assert.deepEqual(podUsage(pod('p', { [CPU_USAGE_ANNOTATION]: '1.5' })).c!.cpu, '1500m');
  });

  it('a malformed annotation falls back to the default', () => {
    assert.equal(podUsage(pod('p', { [CPU_USAGE_ANNOTATION]: 'lots' })).c!.cpu, '1m');
    assert.equal(podUsage(pod('p', { [CPU_USAGE_ANNOTATION]: '-5' })).c!.cpu, '1m');
  });

  it('the report: the node uses its pods plus its own overhead, over the report window', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const r = usageReport([pod('a', { [CPU_USAGE_ANNOTATION]: '200m' }), pod('b', { [MEMORY_USAGE_ANNOTATION]: '100Mi' })], now, 10_000);
    assert.equal(r.timestamp, '2024-05-01T12:00:00Z');
    assert.equal(r.windowSeconds, 10);
    assert.deepEqual(Object.keys(r.pods), ['default/a', 'default/b']);
    assert.equal(r.node.cpu, '251m');
    assert.equal(r.node.memory, String((256 + 8 + 100) * 1024 * 1024));
    // What the agent writes is what the API server reads.
    assert.deepEqual(parseUsageReport(encodeUsageReport(r)), r);
  });
});
