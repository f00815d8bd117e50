// The shared stream vectors (tests/vectors/streams.json, produced by the Rust side and
// passed by its applier too), through the real path a browser runs (protocol §4.5): a
// LiveView on the `data-phx-main` container, the first diff as the join reply, each
// following one pushed by the server (`[0, diff]`), then the page compared with `expected`.
// Two checks of §4.5 the vectors imply without spelling out: an item that stays is updated
// in place (same DOM node), and a later join reply resets the container to what it carries.
import { normalised } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mount, FakeWebSocket, quietly } from '../test-support/fakes.js';

// What a render shows once on the page: a stream container does not keep its reset (§4.5).
const shown = (html) => normalised(html).replace(/ data-phx-stream-reset=""/g, '');

const load = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const cases = load('../../tests/vectors/streams.json');

test('stream vectors are present and well formed', () => {
  assert.ok(cases.length > 0);
  for (const c of cases) {
    assert.equal(typeof c.name, 'string');
    assert.equal(typeof c.expected, 'string', c.name);
    assert.ok(c.diffs.length > 0 && c.diffs.length === c.renders.length, c.name);
  }
});

// The page as the dead render left it, the join reply, then every following diff pushed.
function run(c) {
  const mounted = mount(c.renders[0], { join: false });
  const { root, ws, view } = mounted;
  const nodes = new Map();
  const warned = quietly(() => {
    ws.receive([ws.sent[0][0], c.diffs[0]]);
    assert.ok(view.joined, 'joined');
    assert.equal(root.innerHTML, shown(c.renders[0]), 'after join: exactly what the reply carries');
    for (const el of root.querySelectorAll('[id]')) nodes.set(el.id, el);
    for (const diff of c.diffs.slice(1)) {
      ws.receive([0, diff]);
      // As the server's copy: every stream container down to its start and end tags.
      for (const [key, tokens] of view.store.frags) {
        if (tokens[0] && tokens[0].includes('phx-update="stream"')) assert.equal(tokens.length, 2, `container ${key} forgot its items`);
      }
    }
  });
  assert.deepEqual(warned, [], 'no warning (a diff that does not fit makes the client rejoin)');
  assert.equal(ws.closed, false, 'no rejoin');
  assert.equal(FakeWebSocket.instances.length, 1, 'no rejoin');
  return { ...mounted, nodes };
}

for (const c of cases) {
  test(`streams: ${c.name}`, () => {
    const { root } = run(c);
    assert.equal(root.innerHTML, normalised(c.expected));
    assert.equal(root.querySelector('[data-phx-skip]'), null, 'no placeholder left');
  });

  test(`streams, in place: ${c.name}`, () => {
    const { root, nodes } = run(c);
    for (const el of root.querySelectorAll('[id]')) {
      if (nodes.has(el.id)) assert.equal(el, nodes.get(el.id), `#${el.id} kept its node`);
    }
  });

  test(`streams, rejoin: ${c.name}`, () => {
    const { root, ws, timers } = run(c);
    ws.serverClose(1001);
    timers.tick(100);
    const next = FakeWebSocket.last;
    assert.notEqual(next, ws);
    next.open();
    next.receive([next.sent[0][0], c.diffs[0]]);
    assert.equal(root.innerHTML, shown(c.renders[0]), 'a join reply resets stream containers');
  });
}
