// The meta member of server frames (protocol §3): title, events, error, patch, navigate,
// redirect; through the real LiveView with a fake WebSocket.
import { window, document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount, quietly } from '../test-support/fakes.js';
import { applyMeta } from '../src/meta.js';

test('meta: title, events on window, error on the container, patch pushes and replaces history', () => {
  const { ws, root } = mount('<p>x</p>');
  const got = [];
  const onPing = (e) => got.push(['ping', e.detail]);
  const onError = (e) => got.push(['error', e.detail]);
  window.addEventListener('phx:ping', onPing);
  root.addEventListener('phx:error', onError);
  const before = window.history.length;
  const warned = quietly(() => {
    ws.receive([0, { '': '<p>y</p>' }, { title: 'New title', events: [['ping', { n: 1 }]], patch: '/counter?page=3' }]);
    ws.receive([0, null, { patch: '/counter?page=4', replace: true }]);
    ws.receive([7, null, { error: 'unknown event "x"; this view handles: a' }]);
  });
  window.removeEventListener('phx:ping', onPing);
  root.removeEventListener('phx:error', onError);
  assert.equal(document.title, 'New title');
  assert.equal(root.innerHTML, '<p>y</p>');
  assert.equal(window.location.href, 'http://localhost:4000/counter?page=4');
  assert.equal(window.history.length, before + 1, 'one push, then a replace');
  assert.deepEqual(got, [['ping', { n: 1 }], ['error', { message: 'unknown event "x"; this view handles: a', ref: 7 }]]);
  assert.equal(warned.length, 1);
  assert.match(warned[0], /unknown event/);
});

test('meta: redirect loads the page; navigate is left to the view (a join over the socket)', () => {
  const assigned = [];
  const win = { location: { assign: (u) => assigned.push(u) }, document: {}, history: {}, CustomEvent: window.CustomEvent };
  applyMeta({ navigate: '/users' }, { win, container: null, ref: 1 });
  applyMeta({ redirect: 'https://example.com/' }, { win, container: null, ref: 2 });
  assert.deepEqual(assigned, ['https://example.com/']);
});

test('meta: a redirect with a flash puts the flash in the lv_flash cookie for the next page', () => {
  const assigned = [];
  const doc = { cookie: '' };
  const win = { location: { assign: (u) => assigned.push(u) }, document: doc, history: {}, CustomEvent: window.CustomEvent };
  applyMeta({ redirect: '/users', flash: 'SIGNED' }, { win, container: null, ref: 1 });
  assert.equal(doc.cookie, 'lv_flash=SIGNED; path=/; max-age=60; samesite=lax');
  assert.deepEqual(assigned, ['/users']);
});

test('meta: a title is framed by the layout title element data-prefix and data-suffix', () => {
  document.head.innerHTML = '<title data-suffix=" · App">Old · App</title>';
  applyMeta({ title: 'Chat' }, { win: window, container: null, ref: 1 });
  assert.equal(document.title, 'Chat · App');
  document.head.innerHTML = '';
});
