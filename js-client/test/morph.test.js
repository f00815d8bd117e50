// The morph keep-rules of protocol §4.4 step 4, and node identity of unchanged fragments.
import { window, document, container } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentStore } from '../src/fragments.js';
import { applyToDom } from '../src/morph.js';

// Joins `join` into a fresh container, then returns a function applying further diffs.
function page(join) {
  const root = container('');
  const store = new FragmentStore();
  applyToDom(root, store, store.apply(join), { join: true });
  return { root, apply: (diff) => applyToDom(root, store, store.apply(diff)), store };
}
const $ = (sel) => document.querySelector(sel);

test('the focused input keeps its value and caret while its attributes and the list around it update', () => {
  const { apply } = page({
    '': '<form phx-change="s"><#q></form><#results>',
    q: '<input id="q" name="q" class="a" value="ab">',
    results: '<ul id="results"><li>ab</li></ul>',
  });
  const input = $('#q');
  input.focus();
  assert.equal(document.activeElement, input);
  input.value = 'abcd'; // typed ahead of the server
  input.setSelectionRange(1, 3);
  apply({
    q: '<input id="q" name="q" class="b" aria-invalid="true" value="abc">',
    results: '<ul id="results"><li>abc</li><li>abcd</li></ul>',
  });
  assert.equal($('#q'), input, 'same node');
  assert.equal(document.activeElement, input);
  assert.equal(input.value, 'abcd');
  assert.equal(input.selectionStart, 1);
  assert.equal(input.selectionEnd, 3);
  assert.equal(input.className, 'b');
  assert.equal(input.getAttribute('aria-invalid'), 'true');
  assert.equal($('#results').innerHTML, '<li>abc</li><li>abcd</li>');
});

test('an input that is not focused takes the server value', () => {
  const { apply } = page({ '': '<#q>', q: '<input id="q" value="a">' });
  $('#q').value = 'typed';
  apply({ q: '<input id="q" value="server">' });
  assert.equal($('#q').value, 'server');
});

test('a focused textarea keeps its text; a focused select keeps its selection while options change', () => {
  const { apply } = page({ '': '<textarea id="t" class="x">old</textarea><select id="s"><option value="1">1</option><option value="2">2</option></select>' });
  const t = $('#t');
  t.focus();
  t.value = 'mine';
  apply({ '': '<textarea id="t" class="y">server</textarea><select id="s"><option value="1">1</option><option value="2">2</option></select>' });
  assert.equal(t.value, 'mine');
  assert.equal(t.className, 'y');
  const s = $('#s');
  s.focus();
  s.value = '2';
  apply({ '': '<textarea id="t" class="y">server</textarea><select id="s"><option value="1" selected>1</option><option value="2">2</option><option value="3">3</option></select>' });
  assert.equal(s.options.length, 3);
  assert.equal(s.value, '2');
});

test('with `form` (the reply to its submit), that form\'s focused fields take the server values in place', () => {
  const form = (t, s, c, q) =>
    `<form id="f"><textarea id="t">${t}</textarea><select id="s"><option value="1"${s === '1' ? ' selected' : ''}>1</option>` +
    `<option value="2"${s === '2' ? ' selected' : ''}>2</option></select><input id="c" type="checkbox"${c ? ' checked' : ''}>` +
    `<input id="q" value="${q}"></form>`;
  const root = container('');
  const store = new FragmentStore();
  applyToDom(root, store, store.apply({ '': form('', '1', false, 'ab') }), { join: true });
  const apply = (diff) => applyToDom(root, store, store.apply(diff), { form: $('#f') });
  const [t, s, c, q] = ['#t', '#s', '#c', '#q'].map($);
  t.focus();
  t.value = 'draft';
  apply({ '': form('from server', '1', false, 'ab') });
  assert.equal(document.activeElement, t);
  assert.equal(t.value, 'from server');
  assert.equal(t.selectionStart, 'from server'.length, 'caret at the end of the new value');
  s.focus();
  s.value = '1';
  apply({ '': form('from server', '2', false, 'ab') });
  assert.equal(document.activeElement, s);
  assert.equal(s.value, '2');
  c.focus();
  apply({ '': form('from server', '2', true, 'ab') });
  assert.equal(document.activeElement, c);
  assert.equal(c.checked, true);
  q.focus();
  q.setSelectionRange(1, 2);
  apply({ '': form('from server', '2', true, 'ab') });
  assert.deepEqual([q.selectionStart, q.selectionEnd], [1, 2], 'value unchanged: the selection stays');
  apply({ '': form('from server', '2', true, 'abc') });
  assert.equal(q.value, 'abc');
  assert.deepEqual([q.selectionStart, q.selectionEnd], [3, 3]);
  assert.deepEqual(['#t', '#s', '#c', '#q'].map($), [t, s, c, q], 'same nodes');
});

test('an unchanged child fragment is not touched: same node, even with client-side changes', () => {
  const { apply } = page({
    '': '<#l>',
    l: '<ul id="l"><#a><#b></ul>',
    a: '<li id="a">a</li>',
    b: '<li id="b">b</li>',
  });
  const a = $('#a');
  a.setAttribute('data-client', 'kept'); // something only the client did
  apply({ l: [[1, 0, '<#c>'], [3, 1]], b: null, c: '<li id="c">c</li>' });
  assert.equal($('#l').innerHTML, '<li id="c">c</li><li id="a" data-client="kept">a</li>');
  assert.equal($('#a'), a);
});

test('a child that moves to another parent keeps its node', () => {
  const { apply, root } = page({
    '': '<#p1><#p2>',
    p1: '<div id="p1"><#c></div>',
    p2: '<div id="p2"></div>',
    c: '<b id="c">c</b>',
  });
  const c = $('#c');
  apply({ p1: [[1, 1]], p2: [[1, 0, '<#c>']] });
  assert.equal(root.innerHTML, '<div id="p1"></div><div id="p2"><b id="c">c</b></div>');
  assert.equal($('#c'), c);
});

test('phx-update="ignore" keeps its content; only data-* attributes follow the server', () => {
  const { apply } = page({ '': '<div id="w" phx-update="ignore" data-v="1" class="a"><span>server</span></div><p>1</p>' });
  const w = $('#w');
  w.innerHTML = '<canvas></canvas>'; // a widget drew here
  w.classList.add('widget');
  apply({ '': '<div id="w" phx-update="ignore" data-v="2" class="b"><span>new</span></div><p>2</p>' });
  assert.equal(w.innerHTML, '<canvas></canvas>');
  assert.equal(w.getAttribute('data-v'), '2');
  assert.equal(w.className, 'a widget');
  assert.equal($('p').textContent, '2');
});

test('phx-update="stream" keeps children the new HTML does not mention', () => {
  const { apply } = page({ '': '<ul id="s" phx-update="stream"><li id="s-1">1</li><li id="s-2">2</li></ul>' });
  const one = $('#s-1');
  // Insert at the end (default) and update s-1 in place.
  apply({ '': '<ul id="s" phx-update="stream"><li id="s-3">3</li><li id="s-1">one</li></ul>' });
  assert.equal($('#s').innerHTML, '<li id="s-1">one</li><li id="s-2">2</li><li id="s-3">3</li>');
  assert.equal($('#s-1'), one);
  // Insert at 0, delete s-2, keep at most 3.
  apply({ '': '<ul id="s" phx-update="stream" data-phx-stream-limit="3"><li id="s-0" data-phx-stream-at="0">0</li><li id="s-2" data-phx-stream-delete></li><li id="s-4" data-phx-stream-at="-1">4</li></ul>' });
  assert.deepEqual(Array.from($('#s').children, (c) => c.id), ['s-0', 's-1', 's-3']);
  // Reset drops what is not mentioned.
  apply({ '': '<ul id="s" phx-update="stream" data-phx-stream-reset><li id="s-9">9</li></ul>' });
  assert.deepEqual(Array.from($('#s').children, (c) => c.id), ['s-9']);
});

test('a join replaces stream children (fresh mount)', () => {
  const root = container('<ul id="s" phx-update="stream"><li id="s-1">1</li></ul>');
  const store = new FragmentStore();
  applyToDom(root, store, store.apply({ '': '<ul id="s" phx-update="stream"><li id="s-2">2</li></ul>' }), { join: true });
  assert.equal(root.innerHTML, '<ul id="s" phx-update="stream"><li id="s-2">2</li></ul>');
});

test('a diff naming an element the page lacks falls back to the full HTML', () => {
  const { apply, root } = page({ '': '<#x>', x: '<p id="x">1</p>' });
  root.innerHTML = ''; // something outside the framework removed it
  apply({ x: [[1, 1, '2']] });
  assert.equal(root.innerHTML, '<p id="x">2</p>');
});
