// The connection (protocol §2, §3, §8) with a fake WebSocket and fake timers.
import { window, document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount, FakeWebSocket, FakeStorage, events } from '../test-support/fakes.js';
import { backoff, BACKOFF_MAX_MS } from '../src/socket.js';
import { socketUrl, RELOAD_KEY } from '../src/view.js';
import { applyMeta } from '../src/meta.js';

const $ = (sel) => document.querySelector(sel);
const state = (root) => ['phx-loading', 'phx-connected', 'phx-error'].filter((c) => root.classList.contains(c));
const quietly = (fn) => {
  const warn = console.warn;
  const seen = [];
  console.warn = (...a) => seen.push(a.join(' '));
  try {
    fn();
  } finally {
    console.warn = warn;
  }
  return seen;
};

test('join: socket URL, frame shape, states loading -> connected', () => {
  const { root, ws } = mount('<p>dead render</p>', { join: false });
  assert.equal(ws.url, 'ws://localhost:4000/counter?vsn=1');
  assert.deepEqual(ws.sent, [[1, 'join', { session: 'TOKEN', url: 'http://localhost:4000/counter?x=1' }]]);
  assert.deepEqual(state(root), ['phx-loading']);
  ws.receive([1, { '': '<p>live</p>' }]);
  assert.deepEqual(state(root), ['phx-connected']);
  assert.equal(root.innerHTML, '<p>live</p>');
});

test('socket URL: wss for https pages, path kept, page query dropped', () => {
  assert.equal(socketUrl({ protocol: 'https:', host: 'ex.com:8443', pathname: '/a/b', search: '?q=1' }), 'wss://ex.com:8443/a/b?vsn=1');
  assert.equal(socketUrl({ protocol: 'http:', host: 'localhost', pathname: '/', search: '' }), 'ws://localhost/?vsn=1');
});

test('replies are routed by ref; pushed updates (ref 0) apply too', () => {
  const { ws, root } = mount('<button id="a" phx-click="a">a</button><button id="b" phx-click="b">b</button><p id="p">0</p>');
  $('#a').click();
  $('#b').click();
  const [refA, refB] = ws.sent.slice(1).map((f) => f[0]);
  assert.ok(refB > refA && refA > 1, 'refs increase');
  ws.receive([refB, { '': '<button id="a" phx-click="a">a</button><button id="b" phx-click="b">b</button><p id="p">B</p>' }]);
  assert.ok($('#a').classList.contains('phx-click-loading'));
  assert.ok(!$('#b').classList.contains('phx-click-loading'));
  ws.receive([refA]);
  assert.ok(!$('#a').classList.contains('phx-click-loading'));
  ws.receive([0, { '': [[7, 1, 'pushed']] }]);
  assert.equal($('#p').textContent, 'pushed');
  assert.deepEqual(state(root), ['phx-connected']);
});

test('heartbeat every 30 s; an answered one keeps the socket, a missing reply for 10 s reconnects', () => {
  const { ws, timers, root } = mount('<p>x</p>');
  timers.tick(30000);
  assert.deepEqual(ws.lastSent.slice(1), ['hb']);
  ws.receive([ws.lastSent[0]]);
  timers.tick(30000);
  assert.deepEqual(events(ws).map((f) => f[0]), ['hb', 'hb']);
  timers.tick(9999);
  assert.equal(ws.closed, false);
  timers.tick(1);
  assert.equal(ws.closed, true);
  assert.deepEqual(state(root), ['phx-error']);
  assert.equal(FakeWebSocket.instances.length, 1);
  timers.tick(100); // first backoff step, random 0.5 -> 75 ms
  assert.equal(FakeWebSocket.instances.length, 2);
});

test('backoff: from 100 ms doubling to 5 s, each delay in the upper half of its step', () => {
  const steps = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000];
  steps.forEach((step, n) => {
    assert.equal(backoff(n, () => 0), step / 2);
    assert.equal(backoff(n, () => 1), step);
    const d = backoff(n);
    assert.ok(d >= step / 2 && d <= step, `${d} within [${step / 2}, ${step}]`);
  });
  assert.equal(backoff(1000, () => 1), BACKOFF_MAX_MS);
});

test('reconnects with growing, capped delays until a join succeeds; the rejoin is a new join', () => {
  const { ws, timers, root } = mount('<p>1</p>', { random: () => 1 });
  ws.serverClose(1006);
  assert.deepEqual(state(root), ['phx-error']);
  const delays = [];
  for (let i = 0; i < 8; i++) {
    const before = FakeWebSocket.instances.length;
    const wait = timers.timeouts[timers.timeouts.length - 1];
    delays.push(wait);
    timers.tick(wait - 1);
    assert.equal(FakeWebSocket.instances.length, before, 'not before its delay');
    timers.tick(1);
    assert.equal(FakeWebSocket.instances.length, before + 1);
    FakeWebSocket.last.serverClose(1006); // the server is still down
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  // The server is back: the new socket sends a fresh join and the reply replaces the page.
  timers.tick(5000);
  const next = FakeWebSocket.last;
  next.open();
  assert.deepEqual(state(root), ['phx-loading']);
  assert.equal(next.sent.length, 1);
  assert.equal(next.sent[0][1], 'join');
  assert.ok(next.sent[0][0] > ws.sent[0][0], 'refs keep increasing');
  next.receive([next.sent[0][0], { '': '<p>fresh mount</p>' }]);
  assert.deepEqual(state(root), ['phx-connected']);
  assert.equal(root.innerHTML, '<p>fresh mount</p>');
  // Backoff starts over after a successful join.
  next.serverClose(1006);
  assert.equal(timers.timeouts[timers.timeouts.length - 1], 100);
});

test('fatal without reload: error state, then a rejoin with a fresh mount', () => {
  const { ws, timers, root } = mount('<button phx-click="boom">b</button>');
  $('button').click();
  quietly(() => ws.receive([ws.lastSent[0], null, { fatal: 'callback panicked' }]));
  assert.deepEqual(state(root), ['phx-error']);
  assert.equal(ws.closed, true);
  timers.tick(100);
  const next = FakeWebSocket.last;
  assert.notEqual(next, ws);
  next.open();
  assert.equal(next.sent[0][1], 'join');
});

test('fatal + reload reloads at most once per 10 s, remembered in sessionStorage', () => {
  const storage = new FakeStorage();
  const reloads = [];
  const first = mount('<p>x</p>', { storage, reloads, join: false });
  quietly(() => first.ws.receive([1, null, { fatal: 'invalid token', reload: true }]));
  assert.deepEqual(reloads, [0]);
  assert.equal(storage.getItem(RELOAD_KEY), '0');
  first.timers.tick(60000);
  assert.equal(FakeWebSocket.instances.length, 1, 'no rejoin with a token that cannot work');

  // The reloaded page (same sessionStorage) is refused again 3 s later: it waits.
  const again = mount('<p>x</p>', { storage, reloads: [], join: false });
  again.timers.now = 3000;
  const reloads2 = [];
  again.view.reload = () => reloads2.push(again.timers.now);
  quietly(() => again.ws.receive([1, null, { fatal: 'invalid token', reload: true }]));
  assert.deepEqual(reloads2, []);
  again.timers.tick(6999);
  assert.deepEqual(reloads2, []);
  again.timers.tick(1);
  assert.deepEqual(reloads2, [10000]);
  assert.equal(storage.getItem(RELOAD_KEY), '10000');
});

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

test('meta: navigate and redirect load the page', () => {
  const assigned = [];
  const win = { location: { assign: (u) => assigned.push(u) }, document: {}, history: {}, CustomEvent: window.CustomEvent };
  applyMeta({ navigate: '/users' }, { win, container: null, ref: 1 });
  applyMeta({ redirect: 'https://example.com/' }, { win, container: null, ref: 2 });
  assert.deepEqual(assigned, ['/users', 'https://example.com/']);
});

test('a diff that does not fit the fragments makes the client rejoin', () => {
  const { ws, timers, root } = mount('<p>x</p>');
  const warned = quietly(() => ws.receive([0, { '': [[50, 1, 'z']] }]));
  assert.match(warned[0], /rejoining/);
  assert.equal(ws.closed, true);
  assert.deepEqual(state(root), ['phx-error']);
  timers.tick(100);
  assert.equal(FakeWebSocket.instances.length, 2);
});

test('unreadable frames are logged and ignored', () => {
  const { ws, root } = mount('<p>x</p>');
  const warned = quietly(() => {
    ws.onmessage({ data: 'not json' });
    ws.onmessage({ data: '{"a":1}' });
  });
  assert.equal(warned.length, 2);
  assert.deepEqual(state(root), ['phx-connected']);
});

test('after a rejoin, forms with an id and phx-change send what the user had typed', () => {
  const html = '<form id="f" phx-change="validate"><input name="user[name]" value=""></form><form id="g" phx-change="x" phx-auto-recover="ignore"><input name="a"></form>';
  const { ws, timers } = mount(html);
  document.querySelector('#f input').value = 'typed';
  ws.serverClose(1001);
  timers.tick(100);
  const next = FakeWebSocket.last;
  next.open();
  next.receive([next.sent[0][0], { '': html }]);
  assert.deepEqual(next.sent.slice(1).map(([, ...f]) => f), [['event', 'validate', { user: { name: 'typed' } }]]);
});
