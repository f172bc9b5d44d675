// Smoke test of `npm run bench:density`: a small run (3 hollow nodes, 30 pods) ends, stops
// what it started and prints the table against the Kubernetes references.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./bench-density.ts', import.meta.url));

describe('bench:density', () => {
  it('runs a small density test and prints the table', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', script, '--nodes', '3', '--pods', '30', '--timeout', '90'], { timeout: 110_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    assert.equal(code, 0, `exit ${code}\n${stderr.slice(-3000)}`);
    assert.match(stdout, /^30\/30 Running, 30 bound; 0 create errors/m);
    assert.match(stdout, /^\| metric +\| k8ts +\| Kubernetes reference +\| ratio \/ pass +\|$/m);
    for (const row of ['scheduling throughput', 'pod start-up latency p50', 'pod start-up latency p99', 'API call p99 (this client): POST pods', 'API call p99 (server): POST pods/binding', 'API call p99 (server): PUT pods/status']) {
      assert.ok(stdout.includes(`| ${row}`), `no row "${row}" in:\n${stdout}`);
    }
    assert.match(stdout, /≤ 5\.00 s \(SLO\)/);
    assert.match(stdout, /spread over 3\/3 nodes/);
    // Progress went to stderr while it ran, and it stopped what it started.
    assert.match(stderr, /stopping the hollow agent and k8ts/);
  });
});
