// The live view (protocol §3, §8): join, connection states, fatal and reload, rejoin after
// a diff that does not fit, form recovery; with a fake WebSocket and fake timers.
import { document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount, FakeWebSocket, FakeStorage, quietly } from '../test-support/fakes.js';
import { websocketUrl } from '../src/view.js';
import { CLOSE_RECONNECTING } from '../src/transport.js';
import { RELOAD_KEY } from '../src/protocol.js';

const $ = (sel) => document.querySelector(sel);
const state = (root) => ['phx-loading', 'phx-connected', 'phx-error'].filter((c) => root.classList.contains(c));
test('join: websocket URL, frame shape, states loading -> connected', () => {
  const { root, ws } = mount('<p>dead render</p>', { join: false });
  assert.equal(ws.url, 'ws://localhost:4000/counter?vsn=1');
  assert.deepEqual(ws.sent, [[1, 'join', { session: 'TOKEN', url: 'http://localhost:4000/counter?x=1' }]]);
  assert.deepEqual(state(root), ['phx-loading']);
  ws.receive([1, { '': '<p>live</p>' }]);
  assert.deepEqual(state(root), ['phx-connected']);
  assert.equal(root.innerHTML, '<p>live</p>');
});

test('websocket URL: wss for https pages, path kept, page query dropped', () => {
  assert.equal(websocketUrl({ protocol: 'https:', host: 'ex.com:8443', pathname: '/a/b', search: '?q=1' }), 'wss://ex.com:8443/a/b?vsn=1');
  assert.equal(websocketUrl({ protocol: 'http:', host: 'localhost', pathname: '/', search: '' }), 'ws://localhost/?vsn=1');
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

test('a diff that does not fit the fragments makes the client rejoin', () => {
  const { ws, timers, root } = mount('<p>x</p>');
  const warned = quietly(() => ws.receive([0, { '': [[50, 1, 'z']] }]));
  assert.match(warned[0], /rejoining/);
  assert.equal(ws.closed, true);
  assert.deepEqual(state(root), ['phx-error']);
  timers.tick(100);
  assert.equal(FakeWebSocket.instances.length, 2);
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

test('a rejoin carries the resume token of the last join reply, and each reply replaces it', () => {
  const { ws, timers } = mount('<p>x</p>', { join: false });
  ws.receive([1, { '': '<p>5</p>' }, { resume: '7.first' }]);
  ws.serverClose(1006);
  timers.tick(100);
  const second = FakeWebSocket.last;
  second.open();
  assert.deepEqual(second.sent[0][2], { session: 'TOKEN', url: 'http://localhost:4000/counter?x=1', resume: '7.first' });
  second.receive([second.sent[0][0], { '': '<p>5</p>' }, { resume: '7.second' }]);
  second.serverClose(1006);
  timers.tick(200);
  const third = FakeWebSocket.last;
  third.open();
  assert.equal(third.sent[0][2].resume, '7.second');
});

test('a client that gives up on its socket closes it with the reconnecting code', () => {
  const { ws } = mount('<p>x</p>');
  quietly(() => ws.receive([0, { '': [[50, 1, 'z']] }]));
  assert.equal(ws.closeCode, CLOSE_RECONNECTING);
});

// A chat view: the message input is cleared by the reply to its form's submit.
const chat = (body, extra = '') =>
  `<form id="chat" phx-submit="send" phx-change="typing"><input id="msg" name="body" value="${body}"></form>${extra}`;
const fire = (el, type) => el.dispatchEvent(new document.defaultView.Event(type, { bubbles: true, cancelable: true }));

test('the reply to a submit clears the focused input of the submitted form; focus stays on it', () => {
  const { ws } = mount(chat(''));
  const input = $('#msg');
  input.focus();
  input.value = 'hello';
  fire($('#chat'), 'submit');
  assert.deepEqual(ws.lastSent.slice(1), ['event', 'send', { body: 'hello' }]);
  ws.receive([ws.lastSent[0], { '': chat('', '<p>hello</p>') }]);
  assert.equal($('#msg'), input, 'same node');
  assert.equal(document.activeElement, input);
  assert.equal(input.value, '');
  assert.equal(input.selectionStart, 0);
  assert.equal($('p').textContent, 'hello');
});

test('after back/forward, the focused field shows the value of the URL the page went back to', () => {
  const { ws } = mount(chat('sao'));
  const input = $('#msg');
  input.focus();
  input.value = 'sao';
  window.history.replaceState(null, '', '/search?q=zur'); // as Back does
  window.dispatchEvent(new window.PopStateEvent('popstate', { state: null }));
  assert.equal(ws.lastSent[1], 'nav');
  ws.receive([ws.lastSent[0], { '': chat('zur') }]);
  assert.equal($('#msg'), input, 'same node');
  assert.equal(document.activeElement, input);
  assert.equal(input.value, 'zur');
});

test('the reply to a change does not touch the focused input: value and caret stay', () => {
  const { ws } = mount(chat(''));
  const input = $('#msg');
  input.focus();
  input.value = 'abcd';
  fire(input, 'input');
  input.setSelectionRange(1, 3);
  assert.deepEqual(ws.lastSent.slice(1), ['event', 'typing', { body: 'abcd', _target: 'body' }]);
  ws.receive([ws.lastSent[0], { '': chat('server') }]);
  assert.equal(document.activeElement, input);
  assert.equal(input.value, 'abcd');
  assert.equal(input.selectionStart, 1);
  assert.equal(input.selectionEnd, 3);
});

test('an update pushed while a submit is pending does not clear the focused input; the reply does', () => {
  const { ws } = mount(chat(''));
  const input = $('#msg');
  input.focus();
  input.value = 'hello';
  fire($('#chat'), 'submit');
  const ref = ws.lastSent[0];
  input.value = 'hello again'; // still typing while the submit is on its way
  ws.receive([0, { '': chat('', '<p>someone else</p>') }]);
  assert.equal(input.value, 'hello again');
  assert.equal(document.activeElement, input);
  ws.receive([ref, { '': chat('', '<p>someone else</p><p>hello</p>') }]);
  assert.equal(input.value, '');
  assert.equal(document.activeElement, input);
});

test('on the reply to a submit, the focused input of another form keeps its value', () => {
  const other = (v) => `<form id="search" phx-change="q"><input id="q" name="q" value="${v}"></form>`;
  const { ws } = mount(chat('hi') + other(''));
  fire($('#chat'), 'submit');
  const q = $('#q');
  q.focus();
  q.value = 'typed';
  q.setSelectionRange(2, 2);
  ws.receive([ws.lastSent[0], { '': chat('') + other('server') }]);
  assert.equal(document.activeElement, q);
  assert.equal(q.value, 'typed');
  assert.equal(q.selectionStart, 2);
  assert.equal($('#msg').value, '', 'the submitted form, not focused, follows the server as always');
});

test('going offline gives the socket up at once; coming online reconnects without waiting', () => {
  const { ws, timers, root } = mount('<p>x</p>');
  const win = root.ownerDocument.defaultView;
  win.dispatchEvent(new win.Event('offline'));
  assert.equal(ws.closeCode, CLOSE_RECONNECTING);
  assert.deepEqual(state(root), ['phx-error']);
  const before = FakeWebSocket.instances.length;
  win.dispatchEvent(new win.Event('online'));
  assert.equal(FakeWebSocket.instances.length, before + 1, 'a new socket before any backoff timer');
  timers.tick(10000);
  assert.equal(FakeWebSocket.instances.length, before + 1, 'and the backoff timer adds none');
});

test('a navigate link joins the next view over the same socket: history pushed, no form recovery, its token kept', () => {
  const html = '<a id="go" href="/users/7" data-phx-link="navigate">u</a><form id="f" phx-change="v"><input name="a" value=""></form>';
  const { ws, root } = mount(html);
  const win = root.ownerDocument.defaultView;
  document.querySelector('#f input').value = 'typed';
  document.querySelector('#go').click();
  assert.equal(win.location.pathname, '/users/7');
  assert.equal(FakeWebSocket.instances.length, 1, 'the same socket');
  const [ref, kind, payload] = ws.lastSent;
  assert.equal(kind, 'join');
  assert.deepEqual(payload, { session: 'TOKEN', url: 'http://localhost:4000/users/7' }, 'no resume token: a new view');
  ws.receive([ref, { '': '<h1>user 7</h1>' }, { session: 'USERS-TOKEN' }]);
  assert.equal(root.innerHTML, '<h1>user 7</h1>');
  assert.equal(root.getAttribute('data-phx-session'), 'USERS-TOKEN');
  assert.equal(ws.sent.length, 2, 'nothing sent after the join: the old view\'s forms are not recovered');
});

test('a navigate meta (push_navigate, or back to another view) joins that view', () => {
  const { ws, root } = mount('<button phx-click="go">go</button>');
  const win = root.ownerDocument.defaultView;
  document.querySelector('button').click();
  ws.receive([ws.lastSent[0], null, { navigate: '/chat' }]);
  assert.equal(win.location.pathname, '/chat');
  assert.equal(ws.lastSent[1], 'join');
  assert.equal(ws.lastSent[2].url, 'http://localhost:4000/chat');
});
