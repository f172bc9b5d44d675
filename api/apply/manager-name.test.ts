import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { managerFromUserAgent, managerOrUserAgent, validateFieldManager } from './manager-name.ts';

describe('field manager names', () => {
  it('take the program name from the User-Agent when no fieldManager is given', () => {
    assert.equal(managerFromUserAgent('kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0'), 'kubectl');
    assert.equal(managerFromUserAgent('kube-controller-manager/v1.30.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller'), 'kube-controller-manager');
    assert.equal(managerFromUserAgent('node-fetch'), 'node-fetch');
    assert.equal(managerFromUserAgent('a\u0007b\tc/1'), 'abc', 'unprintable characters are dropped');
    assert.equal(managerFromUserAgent('x'.repeat(200)).length, 128);
    assert.equal(managerFromUserAgent(undefined), '');
    assert.equal(managerOrUserAgent('kubectl-edit', 'kubectl/v1.33.1'), 'kubectl-edit');
    assert.equal(managerOrUserAgent('', 'kubectl/v1.33.1'), 'kubectl');
  });

  it('are at most 128 bytes of printable characters', () => {
    assert.deepEqual(validateFieldManager('kubectl-client-side-apply'), []);
    assert.deepEqual(validateFieldManager('é'.repeat(64)), []);
    assert.deepEqual(validateFieldManager('é'.repeat(65)), [{ type: 'FieldValueTooLong', field: 'fieldManager', message: 'Too long: must have at most 128 bytes' }]);
    assert.deepEqual(validateFieldManager('é\nx'), [{ type: 'FieldValueInvalid', field: 'fieldManager', message: 'Invalid value: "é\\nx": invalid character U+000A (at position 2)' }]);
  });
});
