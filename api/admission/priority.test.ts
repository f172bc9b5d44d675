import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { admitPodPriority, checkPriorityClassDefault, preservePodPriority, systemPriorityClasses } from './priority.ts';

const pc = (name: string, value: number, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  preemptionPolicy: 'PreemptLowerPriority',
  ...extra,
});
const pod = (spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'default' }, spec: { containers: [{ name: 'c' }], ...spec } });
const spec = (p: KubeObject) => p.spec as Record<string, unknown>;

function forbidden(fn: () => void): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return { code: err.code, reason: err.reason, message: err.message };
  }
  assert.fail('expected Forbidden');
}

const classes = [...systemPriorityClasses().map((c) => ({ ...c, preemptionPolicy: 'PreemptLowerPriority' })), pc('high', 1000), pc('polite', 500, { preemptionPolicy: 'Never' })];

test('a named class gives the pod its priority and preemptionPolicy', () => {
  const p = pod({ priorityClassName: 'polite' });
  admitPodPriority(p, classes, 'x');
  assert.deepEqual([spec(p).priority, spec(p).preemptionPolicy, spec(p).priorityClassName], [500, 'Never', 'polite']);
  const crit = pod({ priorityClassName: 'system-node-critical' });
  admitPodPriority(crit, classes, 'x');
  assert.equal(spec(crit).priority, 2000001000);
});

test('no class named: the globalDefault one (the lowest if several), else 0 and PreemptLowerPriority', () => {
  const none = pod();
  admitPodPriority(none, classes, 'x');
  assert.deepEqual([spec(none).priority, spec(none).preemptionPolicy, spec(none).priorityClassName], [0, 'PreemptLowerPriority', undefined]);
  const defaults = [...classes, pc('d1', 300, { globalDefault: true, preemptionPolicy: 'Never' }), pc('d2', 200, { globalDefault: true })];
  const p = pod();
  admitPodPriority(p, defaults, 'x');
  assert.deepEqual([spec(p).priority, spec(p).preemptionPolicy, spec(p).priorityClassName], [200, 'PreemptLowerPriority', 'd2']);
});

test("an unknown class, or a priority or policy that is not the class's: 403 with upstream's messages", () => {
  assert.deepEqual(
    forbidden(() => admitPodPriority(pod({ priorityClassName: 'foo' }), classes, 'x')),
    { code: 403, reason: 'Forbidden', message: 'pods "x" is forbidden: no PriorityClass with name foo was found' },
  );
  assert.equal(
    forbidden(() => admitPodPriority(pod({ priorityClassName: 'high', priority: 7 }), classes, 'x')).message,
    'pods "x" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
  );
  assert.equal(
    forbidden(() => admitPodPriority(pod({ priority: 3 }), classes, 'gen-')).message,
    'pods "gen-" is forbidden: the integer value of priority (3) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
  );
  assert.equal(
    forbidden(() => admitPodPriority(pod({ priorityClassName: 'high', preemptionPolicy: 'Never' }), classes, 'x')).message,
    'pods "x" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
  );
  // The same values as the class's are fine.
  const same = pod({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
  admitPodPriority(same, classes, 'x');
  assert.equal(spec(same).priority, 1000);
});

test('an update that leaves priority out keeps it', () => {
  const old = pod({ priorityClassName: 'high', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
  const next = pod({ priorityClassName: 'high' });
  preservePodPriority(next, old);
  assert.deepEqual([spec(next).priority, spec(next).preemptionPolicy], [1000, 'PreemptLowerPriority']);
  const changed = pod({ priority: 5 });
  preservePodPriority(changed, old);
  assert.equal(spec(changed).priority, 5);
});

test('only one globalDefault PriorityClass', () => {
  const existing = [pc('d', 1, { globalDefault: true })];
  assert.deepEqual(forbidden(() => checkPriorityClassDefault(pc('e', 2, { globalDefault: true }), existing)), {
    code: 403,
    reason: 'Forbidden',
    message: 'priorityclasses.scheduling.k8s.io "e" is forbidden: PriorityClass d is already marked as default. Only one default can exist',
  });
  checkPriorityClassDefault(pc('d', 1, { globalDefault: true, description: 'updated' }), existing);
  checkPriorityClassDefault(pc('e', 2), existing);
});

test('the system classes', () => {
  assert.deepEqual(
    systemPriorityClasses().map((c) => [c.metadata?.name, c.value]),
    [['system-node-critical', 2000001000], ['system-cluster-critical', 2000000000]],
  );
});
