import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textPosition } from '../../src/util/text-position.js';

test('textPosition: 1-based line and column of an offset, clamped to the end of the text', () => {
  const text = 'ab\ncd\n\nefg';
  assert.deepEqual(textPosition(text, 0), { line: 1, column: 1 });
  assert.deepEqual(textPosition(text, 2), { line: 1, column: 3 });
  assert.deepEqual(textPosition(text, 3), { line: 2, column: 1 });
  assert.deepEqual(textPosition(text, 7), { line: 4, column: 1 });
  assert.deepEqual(textPosition(text, 10), { line: 4, column: 4 });
  assert.deepEqual(textPosition(text, 99), { line: 4, column: 4 });
});
