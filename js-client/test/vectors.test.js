// The shared protocol vectors (tests/vectors/, produced by the Rust side and passed by its
// applier too), plus our own extra cases in test/fixtures/ (same format, generated with
// the Rust diff): the tokenizer, the fragment store, and the real morph path.
import { document, container, normalised } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tokenize } from '../src/tokens.js';
import { FragmentStore } from '../src/fragments.js';
import { applyToDom } from '../src/morph.js';

const load = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const tokenCases = load('../../tests/vectors/tokens.json');
const patchCases = [
  ...load('../../tests/vectors/patches.json'),
  ...load('./fixtures/patches.json').map((c) => ({ ...c, name: `fixture: ${c.name}` })),
];

test('vector files are present and not empty', () => {
  assert.ok(tokenCases.length > 0);
  assert.ok(patchCases.length > 0);
});

for (const c of tokenCases) {
  test(`tokens: ${c.name}`, () => {
    const tokens = tokenize(c.input, c.wire);
    assert.deepEqual(tokens, c.tokens);
    assert.equal(tokens.join(''), c.input);
  });
}

for (const c of patchCases) {
  test(`fragments: ${c.name}`, () => {
    const store = new FragmentStore();
    store.apply(c.join);
    assert.equal(store.html(''), c.old);
    store.apply(c.patch);
    assert.equal(store.html(''), c.new);
  });

  test(`dom: ${c.name}`, () => {
    const root = container(c.old);
    const store = new FragmentStore();
    applyToDom(root, store, store.apply(c.join), { join: true });
    assert.equal(root.innerHTML, normalised(c.old), 'after join');
    applyToDom(root, store, store.apply(c.patch));
    assert.equal(root.innerHTML, normalised(c.new), 'after patch');
    assert.equal(root.querySelector('[data-phx-skip]'), null);
  });
}

test('dom: an unchanged child keeps its node, a changed sibling is updated in place', () => {
  const c = patchCases.find((p) => p.name === 'child fragment changes alone');
  const root = container(c.old);
  const store = new FragmentStore();
  applyToDom(root, store, store.apply(c.join), { join: true });
  const [i1, i2] = [document.getElementById('i1'), document.getElementById('i2')];
  applyToDom(root, store, store.apply(c.patch));
  assert.equal(document.getElementById('i1'), i1);
  assert.equal(document.getElementById('i2'), i2);
  assert.equal(i2.textContent, 'TWO');
});

// Every fragment that the patch does not mention keeps its DOM node (moved or not).
for (const c of patchCases) {
  test(`dom identity: ${c.name}`, () => {
    const root = container(c.old);
    const store = new FragmentStore();
    applyToDom(root, store, store.apply(c.join), { join: true });
    const kept = new Map();
    for (const key of Object.keys(c.join)) {
      if (key === '' || key in c.patch) continue;
      const t = document.createElement('template');
      t.innerHTML = store.tokens(key)[0];
      const id = t.content.firstElementChild.id;
      kept.set(id, document.getElementById(id));
    }
    applyToDom(root, store, store.apply(c.patch));
    for (const [id, node] of kept) assert.equal(document.getElementById(id), node, `#${id} kept its node`);
  });
}
