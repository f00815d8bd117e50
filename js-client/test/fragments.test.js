// The fragment store (protocol §4.3): ops, errors that leave it untouched, placeholders.
// The shared vectors run through it in vectors.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentStore } from '../src/fragments.js';

test('a bad diff throws and leaves the store as it was', () => {
  const store = new FragmentStore();
  store.apply({ '': '<p>1</p>' });
  assert.throws(() => store.apply({ '': [[1, 1, '2'], [9, 1]] }), /bad op/);
  assert.throws(() => store.apply({ '': 5 }), /unexpected/);
  assert.equal(store.html(''), '<p>1</p>');
  store.apply({ '': '<#a>' });
  assert.throws(() => store.html(''), /missing fragment "a"/);
  store.apply({ a: '<i id="a"><#a></i>' });
  assert.throws(() => store.html(''), /contains itself/);
});

test('an inserted run is tokenized; a one-element array is one verbatim token', () => {
  const store = new FragmentStore();
  store.apply({ '': '<p>a</p><script>x()</script>' });
  store.apply({ '': [[1, 1, 'b c<b>d</b>'], [8, 1, ['if (a < b) y()']]] });
  assert.equal(store.html(''), '<p>b c<b>d</b></p><script>if (a < b) y()</script>');
  assert.deepEqual(store.frags.get('').slice(1, 6), ['b ', 'c', '<b>', 'd', '</b>']);
  assert.throws(() => store.apply({ '': [[0, 0, ['a', 'b']]] }), /bad op/);
  assert.throws(() => store.apply({ '': [[0, 0, 7]] }), /bad op/);
});

test('placeholders: the attribute goes after the tag name; one-token children (void, />) get no end tag', () => {
  const store = new FragmentStore();
  store.apply({ '': '<#a><#b><#c>', a: '<a id="a" href=x/>', b: '<input id="b">', c: '<circle id="c"/>' });
  assert.equal(store.placeholder('a'), '<a data-phx-skip="a" id="a" href=x/>');
  assert.equal(store.placeholder('b'), '<input data-phx-skip="b" id="b">');
  assert.equal(store.placeholder('c'), '<circle data-phx-skip="c" id="c"/>');
  store.apply({ 'q"&': '<i id=\'q"&amp;\'>x</i>' });
  assert.equal(store.placeholder('q"&'), '<i data-phx-skip="q&quot;&amp;" id=\'q"&amp;\'></i>');
});

test('merged stream items are forgotten, unless the container starts or ends with a child', () => {
  const store = new FragmentStore();
  store.forgetStreamItems(store.apply({
    '': '<#m><#n>',
    m: '<ul id="m" phx-update="stream"><#m-1></ul>',
    'm-1': '<li id="m-1">a</li>',
    n: '<ol id="n" phx-update="stream"><#n-1>',
    'n-1': '<li id="n-1">b</li>',
  }));
  assert.deepEqual(store.tokens('m'), ['<ul id="m" phx-update="stream">', '</ul>']);
  assert.equal(store.has('m-1'), false);
  assert.deepEqual(store.tokens('n'), ['<ol id="n" phx-update="stream">', '<#n-1>']);
  assert.equal(store.has('n-1'), true);
  // A reference first is a child, whatever its key says.
  store.forgetStreamItems(store.apply({ '': '<#k phx-update="stream">end', 'k phx-update="stream"': '<b>x</b>' }));
  assert.equal(store.html(''), '<b>x</b>end');
});
