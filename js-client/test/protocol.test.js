// The protocol words (src/protocol.js) against the shared file tests/vectors/protocol_words.json,
// which the Rust side checks too; and that the other modules write none of them as a literal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as protocol from '../src/protocol.js';

const load = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const words = load('../../tests/vectors/protocol_words.json');

// Group of the shared file -> prefix of the module's names (ATTR_STREAM_AT is "stream_at").
const GROUPS = { frame_kind: 'FRAME_', reply_meta: 'META_', attribute: 'ATTR_', class: 'CLASS_', js_command: 'JS_' };

function moduleGroup(prefix) {
  const out = {};
  for (const [name, value] of Object.entries(protocol)) {
    if (name.startsWith(prefix)) out[name.slice(prefix.length).toLowerCase()] = value;
  }
  return out;
}

test('protocol_words.json has exactly the groups of src/protocol.js', () => {
  assert.deepEqual(Object.keys(words).sort(), Object.keys(GROUPS).sort());
});

for (const [group, prefix] of Object.entries(GROUPS)) {
  test(`protocol words: ${group} is the same in src/protocol.js (${prefix}*) and protocol_words.json`, () => {
    // Both directions: every key of the file with its value, and nothing more in the module.
    assert.deepEqual(moduleGroup(prefix), words[group]);
  });
}

test('protocol words: names built from a prefix come to the names of the file', () => {
  const p = protocol;
  for (const type of ['keydown', 'keyup', 'focus', 'blur']) {
    assert.equal(p.BINDING_PREFIX + type, words.attribute[type]);
    assert.equal(p.WINDOW_BINDING_PREFIX + type, words.attribute[`window_${type}`]);
  }
  for (const type of ['click', 'submit', 'change', 'keydown', 'keyup', 'focus', 'blur']) {
    assert.equal(p.LOADING_CLASS_PREFIX + type + p.LOADING_CLASS_SUFFIX, words.class[`${type}_loading`]);
  }
  assert.equal(p.DOM_EVENT_PREFIX + p.META_ERROR, 'phx:error');
  for (const [name, value] of Object.entries(p)) assert.equal(typeof value, 'string', name);
});

// The string and template literals of a source file, comments left out. Good enough for
// these sources: a quote inside a regex literal never closes on the same line.
const TOKENS = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g;
const literals = (source) => [...source.matchAll(TOKENS)].map(([m]) => m).filter((m) => m[0] !== '/').map((m) => m.slice(1, -1));
// The code alone: comments dropped, literals emptied.
const codeOnly = (source) => source.replace(TOKENS, (m) => (m[0] === '/' ? '' : "''"));

test('no module but protocol.js writes a protocol word as a literal', () => {
  const dir = new URL('../src/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'protocol.js');
  assert.ok(files.length > 5);
  const kinds = new Set(Object.values(words.frame_kind));
  const metaKeys = new Set(Object.values(words.reply_meta));
  const found = [];
  for (const file of files) {
    const source = readFileSync(new URL(file, dir), 'utf8');
    for (const lit of literals(source)) {
      if (/phx[-:]/.test(lit)) found.push(`${file}: '${lit}'`);
      if (kinds.has(lit)) found.push(`${file}: '${lit}' (frame kind)`);
      // tokens.js: <title> is a raw-text element there, not the meta key.
      if (metaKeys.has(lit) && !(file === 'tokens.js' && lit === 'title')) found.push(`${file}: '${lit}' (meta key)`);
    }
    for (const [m] of codeOnly(source).matchAll(/\bmeta\??\.\w+/g)) found.push(`${file}: ${m}`);
  }
  assert.deepEqual(found, []);
});
