import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../errors.ts';
import type { KubeObject } from '../registry/descriptor.ts';
import { admitRuntimeClass, mergeTolerations, validatePodOverhead } from './runtime-class.ts';

const classes: Record<string, KubeObject> = {
  plain: { metadata: { name: 'plain' }, handler: 'runc' },
  heavy: { metadata: { name: 'heavy' }, handler: 'kata', overhead: { podFixed: { cpu: '10m', memory: '1Mi' } } },
  pinned: {
    metadata: { name: 'pinned' },
    handler: 'runsc',
    scheduling: { nodeSelector: { sandbox: 'gvisor' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
  },
};
const lookup = async (name: string) => classes[name];

function pod(spec: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

async function rejection(p: KubeObject): Promise<{ code: number; message: string }> {
  try {
    await admitRuntimeClass(p, lookup, 'p');
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected the pod to be rejected');
}

describe('RuntimeClass admission', () => {
  it('leaves pods without a runtimeClassName alone', async () => {
    const p = pod();
    assert.equal(await admitRuntimeClass(p, lookup, 'p'), undefined);
    assert.deepEqual(p, pod());
  });

  it('rejects a pod naming a RuntimeClass that does not exist (403, upstream message)', async () => {
    assert.deepEqual(await rejection(pod({ runtimeClassName: 'missing' })), {
      code: 403,
      message: 'pods "p" is forbidden: pod rejected: RuntimeClass "missing" not found',
    });
  });

  it('sets the class overhead, and rejects a pod whose overhead differs', async () => {
    const p = pod({ runtimeClassName: 'heavy' });
    const rc = await admitRuntimeClass(p, lookup, 'p');
    assert.deepEqual((p.spec as { overhead: unknown }).overhead, { cpu: '10m', memory: '1Mi' });
    validatePodOverhead(p, rc, 'p');
    // The same quantities spelled differently are the same overhead.
    const same = pod({ runtimeClassName: 'heavy', overhead: { cpu: '0.01', memory: '1024Ki' } });
    validatePodOverhead(same, await admitRuntimeClass(same, lookup, 'p'), 'p');
    assert.deepEqual(await rejection(pod({ runtimeClassName: 'heavy', overhead: { cpu: '1' } })), {
      code: 403,
      message: 'pods "p" is forbidden: pod rejected: Pod\'s Overhead doesn\'t match RuntimeClass\'s defined Overhead',
    });
  });

  it('rejects an overhead without a class that defines one', async () => {
    for (const p of [pod({ overhead: { cpu: '10m' } }), pod({ runtimeClassName: 'plain', overhead: { cpu: '10m' } })]) {
      const rc = await admitRuntimeClass(p, lookup, 'p');
      assert.throws(() => validatePodOverhead(p, rc, 'p'), /pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead/);
    }
  });

  it('merges the node selector and tolerations of the class', async () => {
    const p = pod({ runtimeClassName: 'pinned', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'sandbox', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] });
    await admitRuntimeClass(p, lookup, 'p');
    const spec = p.spec as Record<string, unknown>;
    assert.deepEqual(spec.nodeSelector, { disk: 'ssd', sandbox: 'gvisor' });
    // The class's Exists toleration covers the pod's Equal one.
    assert.deepEqual(spec.tolerations, [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }]);
    const bare = pod({ runtimeClassName: 'pinned' });
    await admitRuntimeClass(bare, lookup, 'p');
    assert.deepEqual((bare.spec as Record<string, unknown>).nodeSelector, { sandbox: 'gvisor' });
  });

  it('rejects a node selector that conflicts with the class', async () => {
    assert.deepEqual(await rejection(pod({ runtimeClassName: 'pinned', nodeSelector: { sandbox: 'kata' } })), {
      code: 403,
      message: 'pods "p" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = kata',
    });
  });

  it('merges tolerations as util/tolerations.MergeTolerations', () => {
    const a = { key: 'a', operator: 'Equal', value: '1', effect: 'NoSchedule' };
    const b = { key: 'b', operator: 'Exists' };
    const all = { operator: 'Exists' };
    const ne300 = { key: 'n', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
    const ne100 = { key: 'n', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 100 };
    assert.deepEqual(mergeTolerations([a], [b]), [a, b]);
    assert.deepEqual(mergeTolerations([a, a], []), [a]);
    assert.deepEqual(mergeTolerations([a, b], [all]), [all]);
    // A longer NoExecute toleration covers a shorter one.
    assert.deepEqual(mergeTolerations([ne100], [ne300]), [ne300]);
    assert.deepEqual(mergeTolerations([], []), []);
  });
});
