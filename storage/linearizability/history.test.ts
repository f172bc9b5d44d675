import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperations } from './checker.ts';
import { HistoryRecorder, UNKNOWN, fromEvents, validateHistory, type HistoryEvent } from './history.ts';
import { kv, kvModel, kvOut, type KvInput, type KvOutput } from './model.ts';

test('fromEvents pairs calls with returns; timeouts stay pending, failures are dropped', () => {
  const events: HistoryEvent<KvInput, KvOutput>[] = [
    { type: 'call', id: 'a', clientId: 1, input: kv.put('x', '1') },
    { type: 'call', id: 'b', clientId: 2, input: kv.get('x') },
    { type: 'return', id: 'b', output: kvOut.get(null) },
    { type: 'call', id: 'c', clientId: 3, input: kv.put('x', '2') },
    { type: 'fail', id: 'c' },
    { type: 'timeout', id: 'a' },
    { type: 'call', id: 'd', clientId: 2, input: kv.get('x') },
    { type: 'return', id: 'd', output: kvOut.get('1') },
    { type: 'call', id: 'e', clientId: 4, input: kv.delete('x') },
  ];
  const h = fromEvents(events);
  assert.deepEqual(h, [
    { clientId: 1, input: kv.put('x', '1'), output: UNKNOWN, call: 0, return: Infinity },
    { clientId: 2, input: kv.get('x'), output: kvOut.get(null), call: 1, return: 2 },
    { clientId: 2, input: kv.get('x'), output: kvOut.get('1'), call: 6, return: 7 },
    { clientId: 4, input: kv.delete('x'), output: UNKNOWN, call: 8, return: Infinity },
  ]);
  assert.equal(checkOperations(kvModel, h).result, 'ok');
});

test('fromEvents uses given times and rejects unmatched events', () => {
  const h = fromEvents<KvInput, KvOutput>([
    { type: 'call', id: 1, clientId: 1, input: kv.get('x'), time: 10 },
    { type: 'return', id: 1, output: kvOut.get(null), time: 25 },
  ]);
  assert.equal(h[0]!.call, 10);
  assert.equal(h[0]!.return, 25);
  assert.throws(() => fromEvents<KvInput, KvOutput>([{ type: 'return', id: 1, output: kvOut.get(null) }]), /not outstanding/);
  assert.throws(
    () =>
      fromEvents<KvInput, KvOutput>([
        { type: 'call', id: 1, clientId: 1, input: kv.get('x') },
        { type: 'call', id: 1, clientId: 1, input: kv.get('x') },
      ]),
    /called twice/,
  );
  assert.throws(
    () =>
      fromEvents<KvInput, KvOutput>([
        { type: 'call', id: 1, clientId: 1, input: kv.get('x'), time: 5 },
        { type: 'return', id: 1, output: kvOut.get(null), time: 4 },
      ]),
    /before it is called/,
  );
});

test('HistoryRecorder records a history with a logical clock', () => {
  const r = new HistoryRecorder<KvInput, KvOutput>();
  const a = r.call('c1', kv.put('x', '1'));
  const b = r.call('c2', kv.get('x'));
  assert.throws(() => r.call('c1', kv.get('x')), /outstanding/);
  r.ok(b, kvOut.get('1'));
  r.timeout(a);
  const c = r.call('c1', kv.cas('x', '1', '2'));
  r.fail(c);
  assert.throws(() => r.ok(c, kvOut.cas(true)), /not outstanding/);
  const d = r.call('c1', kv.get('x'));
  const h = r.operations();
  assert.deepEqual(
    h.map((op) => [op.clientId, op.input.kind, op.call, op.return]),
    [
      ['c1', 'put', 0, Infinity],
      ['c2', 'get', 1, 2],
      ['c1', 'get', 4, Infinity],
    ],
  );
  assert.equal(checkOperations(kvModel, h).result, 'ok');
  r.ok(d, kvOut.get('3'));
  assert.equal(checkOperations(kvModel, r.operations()).result, 'illegal');
});

test('HistoryRecorder can use another clock', () => {
  let t = 100;
  const r = new HistoryRecorder<KvInput, KvOutput>(() => t);
  const a = r.call(1, kv.get('x'));
  t = 150;
  r.ok(a, kvOut.get(null));
  assert.deepEqual(
    r.operations().map((op) => [op.call, op.return]),
    [[100, 150]],
  );
});

test('validateHistory', () => {
  assert.throws(() => validateHistory([{ clientId: 1, input: null, output: null, call: Infinity, return: Infinity }]), /finite/);
  assert.throws(() => validateHistory([{ clientId: 1, input: null, output: null, call: 0, return: NaN }]), /return time/);
  validateHistory([{ clientId: 1, input: null, output: UNKNOWN, call: 0, return: Infinity }]);
});
