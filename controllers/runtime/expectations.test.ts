import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.ts';
import { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations.ts';

describe('ControllerExpectations', () => {
  it('no expectations are satisfied; creations are satisfied once all are observed', () => {
    const e = new ControllerExpectations({ clock: new FakeClock() });
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/rs', 3);
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
    // Observations past zero keep it satisfied.
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  it('deletions are tracked by object key: a pod observed twice counts once; unexpected keys count nothing', () => {
    const e = new ControllerExpectations({ clock: new FakeClock() });
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a'); // graceful deletion, then removal
    e.deletionObserved('ns/rs', 'ns/zzz');
    assert.equal(e.satisfied('ns/rs'), false);
    assert.deepEqual(e.get('ns/rs')!.pendingDeletes, ['ns/b']);
    e.deletionObserved('ns/rs', 'ns/b');
    assert.equal(e.satisfied('ns/rs'), true);
  });

  it('expectations expire after the TTL, so a lost event cannot wedge the owner', () => {
    const clock = new FakeClock();
    const e = new ControllerExpectations({ clock });
    e.expectCreations('ns/rs', 2);
    clock.step(EXPECTATIONS_TTL_MS);
    assert.equal(e.satisfied('ns/rs'), false);
    clock.step(1);
    assert.equal(e.expired('ns/rs'), true);
    assert.equal(e.satisfied('ns/rs'), true);
    // Setting them again restarts the clock.
    e.expectCreations('ns/rs', 1);
    assert.equal(e.satisfied('ns/rs'), false);
  });

  it('lower/raise adjust, delete forgets', () => {
    const e = new ControllerExpectations({ clock: new FakeClock() });
    e.set('k', 2, 1);
    e.lower('k', 2, 0);
    assert.equal(e.satisfied('k'), false);
    e.raise('k', 1, -1);
    assert.deepEqual([e.get('k')!.add, e.get('k')!.del], [1, 0]);
    e.delete('k');
    assert.equal(e.get('k'), undefined);
    assert.equal(e.satisfied('k'), true);
  });
});
