// The bundle renames the client's own members (scripts/bundle_options.js). Renaming is
// only safe for names that nothing outside the client's own objects uses: these tests fail
// when a name on the list is also a property of the DOM, of a JS builtin, of morphdom, or a
// key the client writes into a frame.
import { window, document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MANGLED_MEMBERS, OPTIONS } from '../scripts/bundle_options.js';
import * as protocol from '../src/protocol.js';

// Every property name on the object and its prototype chain.
function propertiesOf(obj) {
  const out = new Set();
  for (let o = obj; o; o = Object.getPrototypeOf(o)) for (const name of Object.getOwnPropertyNames(o)) out.add(name);
  return out;
}

const foreign = new Set();
const add = (obj) => propertiesOf(obj).forEach((n) => foreign.add(n));
for (const tag of ['div', 'a', 'input', 'textarea', 'select', 'option', 'form', 'button', 'template']) add(document.createElement(tag));
for (const obj of [window, document, window.history, window.location, window.localStorage, new window.CustomEvent('x'), new window.KeyboardEvent('keydown'), new window.FocusEvent('focus')]) add(obj);
for (const obj of [[], '', new Map(), new Set(), new WeakMap(), {}, () => {}, Promise.resolve(), JSON, Math, Date, Number, Array, Object, console, globalThis]) add(obj);
add(globalThis.WebSocket ? Object.create(globalThis.WebSocket.prototype) : {});
// morphdom reads its options and DOM nodes by name.
const morphdom = readFileSync(createRequire(import.meta.url).resolve('morphdom'), 'utf8');
for (const [, name] of morphdom.matchAll(/\.([A-Za-z_$][\w$]*)/g)) foreign.add(name);
// Keys the client writes into frames (join, event values, phx:error details).
for (const key of ['session', 'url', 'key', 'value', '_target', 'message', 'ref', 'detail', 'bubbles']) foreign.add(key);

test('no renamed member is also a property of something the client does not own', () => {
  assert.deepEqual(MANGLED_MEMBERS.filter((name) => foreign.has(name)), []);
});

test('the rename pattern matches exactly the listed names', () => {
  for (const name of MANGLED_MEMBERS) assert.ok(OPTIONS.mangleProps.test(name), name);
  assert.ok(!OPTIONS.mangleProps.test('joinedOnceMore'));
  assert.ok(!OPTIONS.mangleProps.test('join'));
  assert.equal(new Set(MANGLED_MEMBERS).size, MANGLED_MEMBERS.length, 'no name listed twice');
});

test('the bundle has every protocol word inlined: no name of src/protocol.js is left in it', () => {
  const bundle = readFileSync(new URL('../dist/liveview.min.js', import.meta.url), 'utf8');
  const names = Object.keys(protocol);
  assert.ok(names.length > 50);
  assert.deepEqual(names.filter((name) => new RegExp(`\\b${name}\\b`).test(bundle)), []);
});
