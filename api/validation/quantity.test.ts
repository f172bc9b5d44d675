import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalQuantity,
  compareQuantity,
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  roundUpQuantity,
  formatQuantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
} from './quantity.ts';
import { parsePercent, scaledValueFromIntOrPercent, validateNonnegativeIntOrPercent } from './int-or-string.ts';

test('canonical form as the API server returns it', () => {
  const cases: [string | number, string][] = [
    ['500m', '500m'],
    ['1Gi', '1Gi'],
    ['128974848', '128974848'],
    ['1000m', '1'],
    ['0.5', '500m'],
    ['0.1', '100m'],
    ['1000', '1k'],
    ['1.5k', '1500'],
    ['1.5Gi', '1536Mi'],
    ['2048Ki', '2Mi'],
    ['1000Mi', '1000Mi'],
    ['0.5Ki', '512'],
    ['129e6', '129e6'],
    ['1e3', '1e3'],
    ['12E2', '1200'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-1', '-1'],
    ['-1.5', '-1500m'],
    ['1n', '1n'],
    ['0.1n', '1n'],
    ['100u', '100u'],
    [2, '2'],
    [0.25, '250m'],
    ['1.', '1'],
    ['+5M', '5M'],
    ['1E', '1E'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, `input ${input}`);
});

test('parse errors carry upstream messages', () => {
  assert.throws(() => parseQuantity(''), { message: QUANTITY_FORMAT_ERROR });
  assert.throws(() => parseQuantity('abc'), { message: QUANTITY_FORMAT_ERROR });
  assert.throws(() => parseQuantity('1 Gi'), { message: QUANTITY_FORMAT_ERROR });
  assert.throws(() => parseQuantity('1K'), { message: QUANTITY_SUFFIX_ERROR });
  assert.throws(() => parseQuantity('1Gb'), { message: QUANTITY_FORMAT_ERROR });
  assert.throws(() => parseQuantity('1iK'), { message: QUANTITY_SUFFIX_ERROR });
});

test('values and comparisons', () => {
  assert.equal(quantityMilliValue(parseQuantity('500m')), 500);
  assert.equal(quantityMilliValue(parseQuantity('2')), 2000);
  assert.equal(quantityValue(parseQuantity('1Gi')), 1073741824);
  assert.equal(quantityValue(parseQuantity('1.5')), 2);
  assert.equal(compareQuantity(parseQuantity('1Gi'), parseQuantity('1024Mi')), 0);
  assert.equal(compareQuantity(parseQuantity('100m'), parseQuantity('0.2')), -1);
  assert.equal(compareQuantity(parseQuantity('1G'), parseQuantity('1Gi')), -1);
  assert.equal(formatQuantity(roundUpQuantity(parseQuantity('0.5m'), -3)), '1m');
});

test('int or percent', () => {
  assert.equal(parsePercent('25%'), 25);
  assert.equal(parsePercent('25'), undefined);
  assert.equal(scaledValueFromIntOrPercent('25%', 10, true), 3);
  assert.equal(scaledValueFromIntOrPercent('25%', 10, false), 2);
  assert.equal(scaledValueFromIntOrPercent(4, 10, false), 4);
  assert.throws(() => scaledValueFromIntOrPercent('abc', 10, true));
  assert.deepEqual(validateNonnegativeIntOrPercent('25%', 'x'), []);
  assert.deepEqual(validateNonnegativeIntOrPercent(-1, 'x'), [{ type: 'FieldValueInvalid', field: 'x', message: 'Invalid value: -1: must be greater than or equal to 0' }]);
  assert.equal(validateNonnegativeIntOrPercent('x%', 'x').length, 1);
});
