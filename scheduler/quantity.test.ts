import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQuantity, milliValue, value } from './quantity.ts';

test('milliValue: CPU quantities in millicores, exact and rounded up', () => {
  assert.equal(milliValue('100m'), 100);
  assert.equal(milliValue('2'), 2000);
  assert.equal(milliValue(2), 2000);
  assert.equal(milliValue('0.7'), 700);
  assert.equal(milliValue('1.5'), 1500);
  assert.equal(milliValue('0.0001'), 1);
  assert.equal(milliValue('1500u'), 2);
  assert.equal(milliValue('1e3'), 1_000_000);
  assert.equal(milliValue('1k'), 1_000_000);
  assert.equal(milliValue(undefined), 0);
});

test('value: bytes, binary and decimal suffixes, rounded up', () => {
  assert.equal(value('1Ki'), 1024);
  assert.equal(value('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(value('128974848'), 128974848);
  assert.equal(value('129e6'), 129_000_000);
  assert.equal(value('129M'), 129_000_000);
  assert.equal(value('123Mi'), 123 * 2 ** 20);
  assert.equal(value('100m'), 1);
  assert.ok(Number.isNaN(value('12 apples')));
  assert.equal(isQuantity('5Gi'), true);
  assert.equal(isQuantity('5GB'), false);
});
