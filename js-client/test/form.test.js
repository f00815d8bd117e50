// Form serialisation (protocol §5): the nesting rules of names. Whole forms are serialised
// through the real bindings in bindings.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assign } from '../src/form.js';

test('form names: only a trailing [] collects, a malformed name stays flat', () => {
  const out = {};
  for (const [k, v] of [['a[b][c]', '1'], ['a[b][]', '2'], ['a[b][]', '3'], ['x[', '4'], ['y[][z]', '5'], ['a', '6']]) {
    assign(out, k, v);
  }
  assert.deepEqual(out, { a: '6', 'x[': '4', 'y[][z]': '5' });
  assert.deepEqual(assign({}, 'a[b][]', '2'), { a: { b: ['2'] } });
});
