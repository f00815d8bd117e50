// The transport (protocol §2, §3, §8): refs and replies, heartbeat, reconnect with backoff,
// through the real LiveView with a fake WebSocket and fake timers.
import { document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount, FakeWebSocket, events, quietly } from '../test-support/fakes.js';
import { backoff, BACKOFF_MAX_MS } from '../src/transport.js';

const $ = (sel) => document.querySelector(sel);
const state = (root) => ['phx-loading', 'phx-connected', 'phx-error'].filter((c) => root.classList.contains(c));
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

test('unreadable frames are logged and ignored', () => {
  const { ws, root } = mount('<p>x</p>');
  const warned = quietly(() => {
    ws.onmessage({ data: 'not json' });
    ws.onmessage({ data: '{"a":1}' });
  });
  assert.equal(warned.length, 2);
  assert.deepEqual(state(root), ['phx-connected']);
});
