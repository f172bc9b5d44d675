import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../runtime/clock.ts';
import { swapTaints, type Node } from './node-util.ts';
import { matchingTolerations, minTolerationMs, planEviction } from './taint-eviction.ts';
import { RateLimitedTimedQueue } from './taint-queue.ts';
import { noExecuteTaintFor, noScheduleTaintChanges, UNREACHABLE_NO_EXECUTE } from './taints.ts';
import { computeZoneState, DEFAULT_DISRUPTION, handleDisruption, zoneKey } from './zones.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const cond = (status: 'True' | 'False' | 'Unknown') => ({ type: 'Ready', status });

describe('taints', () => {
  it('NoSchedule taints mirror conditions and unschedulable; other taints are left alone', () => {
    const node: Node = {
      metadata: { name: 'n' },
      spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }, { key: 'user', effect: 'NoSchedule' }] },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }, { type: 'MemoryPressure', status: 'False' }, { type: 'DiskPressure', status: 'True' }] },
    };
    const { add, remove } = noScheduleTaintChanges(node);
    assert.deepEqual(add.map((t) => t.key).sort(), ['node.kubernetes.io/disk-pressure', 'node.kubernetes.io/unreachable', 'node.kubernetes.io/unschedulable']);
    assert.deepEqual(remove.map((t) => t.key), ['node.kubernetes.io/memory-pressure']);
  });

  it('NoExecute: not-ready for Ready=False, unreachable for Unknown, none for True', () => {
    assert.equal(noExecuteTaintFor('False')!.add.key, 'node.kubernetes.io/not-ready');
    assert.equal(noExecuteTaintFor('Unknown')!.add.key, 'node.kubernetes.io/unreachable');
    assert.equal(noExecuteTaintFor('True'), undefined);
  });

  it('swapTaints stamps added taints, keeps identical ones, reports no change as undefined', () => {
    const t = swapTaints([{ key: 'a', effect: 'NoSchedule' }], [UNREACHABLE_NO_EXECUTE], [{ key: 'a', effect: 'NoSchedule' }], T0)!;
    assert.deepEqual(t, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' }]);
    assert.equal(swapTaints(t, [UNREACHABLE_NO_EXECUTE], [{ key: 'b', effect: 'NoExecute' }], T0 + 5000), undefined);
  });
});

describe('zones', () => {
  it('zone keys and states', () => {
    assert.equal(zoneKey({ metadata: { labels: {} } }), '');
    assert.equal(zoneKey({ metadata: { labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'z' } } }), 'r:\u0000:z');
    assert.equal(computeZoneState([cond('True'), cond('Unknown')], DEFAULT_DISRUPTION).state, 'Normal');
    assert.equal(computeZoneState([cond('False'), undefined], DEFAULT_DISRUPTION).state, 'FullDisruption');
    assert.equal(computeZoneState([cond('True'), cond('False'), cond('False'), cond('Unknown')], DEFAULT_DISRUPTION).state, 'PartialDisruption');
  });

  it('every zone fully disrupted stops the tainting; a recovery resumes it', () => {
    let states = new Map([['', 'Normal' as const]]) as Map<string, 'Normal' | 'FullDisruption' | 'Initial' | 'PartialDisruption'>;
    const down = handleDisruption(states, new Map([['', [cond('Unknown'), cond('Unknown')]]]), DEFAULT_DISRUPTION);
    assert.equal(down.enterMasterDisruption, true);
    assert.deepEqual([...down.rates], [['', 0]]);
    states = down.states;
    const up = handleDisruption(states, new Map([['', [cond('True'), cond('Unknown')]]]), DEFAULT_DISRUPTION);
    assert.equal(up.exitMasterDisruption, true);
    assert.deepEqual([...up.rates], [['', 0.1]]);
    assert.equal(up.states.get(''), 'Normal');
  });

  it('a small zone in partial disruption stops tainting while another zone is fine', () => {
    const zones = new Map([
      ['a', [cond('True'), cond('False'), cond('False'), cond('False')]],
      ['b', [cond('True')]],
    ]);
    const d = handleDisruption(new Map(), zones, DEFAULT_DISRUPTION);
    assert.equal(d.states.get('a'), 'PartialDisruption');
    assert.equal(d.rates.get('a'), 0);
    assert.equal(d.rates.get('b'), 0.1);
  });
});

describe('rate-limited taint queue', () => {
  it('one node at once, then one per 1/qps; a done node is not queued again until removed', async () => {
    const clock = new FakeClock(T0);
    const q = new RateLimitedTimedQueue(0.1, clock);
    const done: string[] = [];
    const fn = async (v: string) => {
      done.push(v);
      return true as const;
    };
    q.add('a');
    q.add('b');
    await q.try(fn);
    assert.deepEqual(done, ['a']);
    clock.step(10_000);
    await q.try(fn);
    assert.deepEqual(done, ['a', 'b']);
    assert.equal(q.add('a'), false);
    q.remove('a');
    assert.equal(q.add('a'), true);
    q.swapLimiter(0);
    clock.step(60_000);
    await q.try(fn);
    assert.deepEqual(done, ['a', 'b']);
  });

  it('a failed attempt is retried after the delay it asks for', async () => {
    const clock = new FakeClock(T0);
    const q = new RateLimitedTimedQueue(100, clock);
    let calls = 0;
    q.add('a');
    await q.try(async () => (++calls === 1 ? 500 : true));
    assert.equal(calls, 1);
    clock.step(400);
    await q.try(async () => (++calls === 1 ? 500 : true));
    assert.equal(calls, 1);
    clock.step(200);
    await q.try(async () => (++calls, true));
    assert.equal(calls, 2);
  });
});

describe('taint eviction decisions', () => {
  const unreachable = [UNREACHABLE_NO_EXECUTE];
  it('matching tolerations and the shortest toleration time', () => {
    assert.deepEqual(matchingTolerations(unreachable, [{ key: 'other', operator: 'Exists' }]), { all: false, used: [] });
    assert.equal(matchingTolerations(unreachable, [{ operator: 'Exists' }]).all, true);
    assert.equal(minTolerationMs([{ tolerationSeconds: 30 }, { tolerationSeconds: 5 }, {}]), 5000);
    assert.equal(minTolerationMs([{}]), -1);
    assert.equal(minTolerationMs([{ tolerationSeconds: -3 }]), 0);
  });

  it('untolerated: now; tolerated for a while: later, from when first scheduled; forever: never', () => {
    assert.deepEqual(planEviction(unreachable, [], T0, undefined), { next: { createdAt: T0, fireAt: T0 }, cancelled: false });
    const tol = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 300 }];
    const first = planEviction(unreachable, tol, T0, undefined).next!;
    assert.deepEqual(first, { createdAt: T0, fireAt: T0 + 300_000 });
    assert.deepEqual(planEviction(unreachable, tol, T0 + 1000, first), { next: first, cancelled: false });
    assert.deepEqual(planEviction(unreachable, [{ operator: 'Exists' }], T0 + 1000, first), { next: undefined, cancelled: true });
    assert.deepEqual(planEviction([], tol, T0 + 1000, first), { next: undefined, cancelled: true });
  });
});
