import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { observeNodeHealth, type NodeHealth } from './health.ts';
import type { Node } from './node-util.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const opts = { gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 };

function node(heartbeat: number | undefined, status: 'True' | 'False' | 'Unknown' = 'True'): Node {
  const conditions = heartbeat === undefined ? [] : [
    { type: 'MemoryPressure', status: 'False' as const, lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0) },
    { type: 'Ready', status, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0) },
  ];
  return { metadata: { name: 'n1', creationTimestamp: iso(T0) }, status: { conditions } };
}

const lease = (renew: number) => ({ metadata: { name: 'n1' }, spec: { renewTime: new Date(renew).toISOString().replace('Z', '000Z') } });

describe('node health', () => {
  it('a node heard from (condition heartbeat or Lease renewal) within the grace period is left alone', () => {
    let h: NodeHealth | undefined;
    let obs = observeNodeHealth(node(T0), h, lease(T0), T0, opts);
    assert.equal(obs.conditions, undefined);
    h = obs.health;
    // The status heartbeat is old, but the Lease was renewed at +30 s.
    obs = observeNodeHealth(node(T0), h, lease(T0 + 30_000), T0 + 30_000, opts);
    h = obs.health;
    obs = observeNodeHealth(node(T0), h, lease(T0 + 30_000), T0 + 65_000, opts);
    assert.equal(obs.conditions, undefined);
    assert.equal(obs.currentReady?.status, 'True');
  });

  it('a node silent for longer than the grace period becomes Unknown, once', () => {
    let obs = observeNodeHealth(node(T0), undefined, lease(T0), T0, opts);
    obs = observeNodeHealth(node(T0), obs.health, lease(T0), T0 + 40_001, opts);
    assert.equal(obs.observedReady.status, 'True');
    assert.equal(obs.currentReady?.status, 'Unknown');
    const ready = obs.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual(ready, {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastHeartbeatTime: iso(T0),
      lastTransitionTime: iso(T0 + 40_001),
    });
    assert.equal(obs.conditions!.find((c) => c.type === 'MemoryPressure')!.status, 'Unknown');
    // Conditions it never posted are added as never updated.
    assert.equal(obs.conditions!.find((c) => c.type === 'DiskPressure')!.reason, 'NodeStatusNeverUpdated');
    // Written: the next pass sees Unknown and writes nothing more.
    const written: Node = { ...node(T0), status: { conditions: obs.conditions } };
    const again = observeNodeHealth(written, obs.healthIfWritten, lease(T0), T0 + 45_000, opts);
    assert.equal(again.conditions, undefined);
    assert.equal(again.observedReady.status, 'Unknown');
  });

  it('a node that never posted status gets the startup grace period from its creation', () => {
    let obs = observeNodeHealth(node(undefined), undefined, undefined, T0 + 59_000, opts);
    assert.equal(obs.conditions, undefined);
    assert.equal(obs.observedReady.status, 'Unknown');
    obs = observeNodeHealth(node(undefined), obs.health, undefined, T0 + 61_000, opts);
    assert.equal(obs.conditions!.find((c) => c.type === 'Ready')!.reason, 'NodeStatusNeverUpdated');
  });

  it('a fresh heartbeat after a silence resets the clock', () => {
    let obs = observeNodeHealth(node(T0), undefined, undefined, T0, opts);
    obs = observeNodeHealth(node(T0 + 50_000), obs.health, undefined, T0 + 50_000, opts);
    assert.equal(obs.health.probeTimestamp, T0 + 50_000);
    assert.equal(obs.conditions, undefined);
  });
});
