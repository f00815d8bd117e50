// JS commands (protocol §5.1) through a real LiveView on a fake socket and fake timers:
// the shared vectors written by the Rust builder (tests/vectors/js_commands.json), then
// each command's details, transitions, changes that survive a patch, exec, and push.
import { window, document, normalised } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mount, events } from '../test-support/fakes.js';

const $ = (sel) => document.querySelector(sel);
const cmds = (...list) => JSON.stringify(list).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const vectors = JSON.parse(readFileSync(new URL('../../tests/vectors/js_commands.json', import.meta.url), 'utf8'));

test('the shared vectors: every chain the Rust builder writes does what it says in the client', () => {
  assert.ok(vectors.length >= 8);
  for (const v of vectors) {
    const { ws, timers } = mount(v.page);
    assert.equal($('#go').getAttribute('phx-click'), v.chain, `${v.name}: the attribute reads back as the chain`);
    $('#go').click();
    timers.tick(10_000);
    assert.equal($('#stage').innerHTML, normalised(v.stage), v.name);
    assert.deepEqual(events(ws), v.events, `${v.name}: events`);
  }
});

test('a plain event name in phx-click is still sent as the event', () => {
  const { ws } = mount('<button phx-click="[not json">x</button><button id="b" phx-click="inc">+</button>');
  $('#b').click();
  $('button').click();
  assert.deepEqual(events(ws), [['event', 'inc', {}], ['event', '[not json', {}]]);
});

test('a show with a transition: running and start classes first, end classes next, then only the final state', () => {
  const { timers } = mount(`<button phx-click="${cmds(['show', { to: '#m', transition: ['fade', 'o-0', 'o-100'], time: 150 }])}">open</button><div id="m" class="modal" style="display: none">m</div>`);
  $('button').click();
  const m = $('#m');
  assert.notEqual(m.style.display, 'none', 'shown at once');
  assert.deepEqual([...m.classList], ['modal', 'fade', 'o-100']);
  timers.tick(149);
  assert.ok(m.classList.contains('fade'));
  timers.tick(1);
  assert.deepEqual([...m.classList], ['modal']);
  assert.notEqual(m.style.display, 'none');
});

test('show gives display (default block) to an element its stylesheet hides', () => {
  const chain = cmds(['show', { to: '#a' }], ['show', { to: '#b', display: 'flex' }]);
  mount(`<style>.off { display: none }</style><button phx-click="${chain}">x</button><p id="a" class="off">a</p><p id="b" class="off">b</p>`);
  $('button').click();
  assert.deepEqual([$('#a').style.display, $('#b').style.display], ['block', 'flex']);
});

test('a hide arriving in the middle of a show ends hidden, with no transition class left', () => {
  const open = cmds(['show', { to: '#m', transition: ['fade-in', 'o-0', 'o-100'], time: 200 }]);
  const close = cmds(['hide', { to: '#m', transition: ['fade-out', 'o-100', 'o-0'], time: 100 }]);
  const { timers } = mount(`<button id="open" phx-click="${open}">o</button><button id="close" phx-click="${close}">c</button><div id="m" style="display: none">m</div>`);
  $('#open').click();
  timers.tick(50);
  $('#close').click();
  const m = $('#m');
  assert.deepEqual([...m.classList], ['fade-out', 'o-0'], 'the show ended at once; the hide runs');
  assert.notEqual(m.style.display, 'none', 'still visible while fading out');
  timers.tick(100);
  assert.equal(m.style.display, 'none');
  assert.deepEqual([...m.classList], []);
  assert.equal(timers.pending, 1, 'only the heartbeat is left: the show\'s timer was cleared');
});

test('toggle twice in a row during a transition ends where it started', () => {
  const toggle = cmds(['toggle', { to: '#m', transition: ['fade', '', ''], time: 100 }]);
  const { timers } = mount(`<button phx-click="${toggle}">t</button><div id="m">m</div>`);
  $('button').click();
  timers.tick(10);
  $('button').click();
  timers.tick(100);
  assert.notEqual($('#m').style.display, 'none');
  assert.ok(!$('#m').classList.contains('fade'));
});

test('a modal shown by a command stays shown when the server patches inside it', () => {
  const open = cmds(['show', { to: '#modal' }], ['add_class', { to: '#modal', names: 'open' }]);
  const page = (text) => `<button phx-click="${open}">New</button><div id="modal" class="backdrop" style="display: none"><p>${text}</p></div>`;
  const { ws } = mount(page('loading'));
  $('button').click();
  ws.receive([0, { '': page('the form') }]);
  const modal = $('#modal');
  assert.equal(modal.textContent, 'the form');
  assert.notEqual(modal.style.display, 'none');
  assert.ok(modal.classList.contains('open') && modal.classList.contains('backdrop'));
});

test('where the server changes an attribute a command changed, the server wins', () => {
  const open = cmds(['show', { to: '#modal' }]);
  const { ws } = mount(`<button phx-click="${open}">New</button><div id="modal" style="display: none">m</div>`);
  $('button').click();
  ws.receive([0, { '': `<button phx-click="${open}">New</button><div id="modal" style="display: none; color: red">m</div>` }]);
  assert.equal($('#modal').style.display, 'none');
  ws.receive([0, { '': `<button phx-click="${open}">New</button><div id="modal" style="display: none; color: blue">m</div>` }]);
  assert.equal($('#modal').style.display, 'none', 'the command\'s change is forgotten, not put back later');
});

test('a class a command removed stays removed across a patch that keeps the class attribute', () => {
  const { ws } = mount(`<button phx-click="${cmds(['remove_class', { to: '#p', names: 'new' }])}">x</button><p id="p" class="row new">a</p>`);
  $('button').click();
  ws.receive([0, { '': `<button phx-click="${cmds(['remove_class', { to: '#p', names: 'new' }])}">x</button><p id="p" class="row new">b</p>` }]);
  assert.equal($('#p').className, 'row');
  assert.equal($('#p').textContent, 'b');
});

test('push goes through the event path: rate shaping, loading class until the reply, the reply patches', () => {
  const push = cmds(['push', { event: 'inc', value: { by: 2 } }]);
  const { ws, timers } = mount(`<button phx-click="${push}" phx-throttle="1000" phx-value-id="1">+</button><p id="n">0</p>`);
  $('button').click();
  $('button').click(); // inside the throttle period: dropped, as for a plain phx-click
  assert.deepEqual(events(ws), [['event', 'inc', { id: '1', by: 2 }]]);
  assert.ok($('button').classList.contains('phx-click-loading'));
  ws.receive([ws.lastSent[0], { '': `<button phx-click="${push}" phx-throttle="1000" phx-value-id="1">+</button><p id="n">2</p>` }]);
  assert.ok(!$('button').classList.contains('phx-click-loading'));
  assert.equal($('#n').textContent, '2');
  timers.tick(1000);
  $('button').click();
  assert.equal(events(ws).length, 2);
});

test('push in phx-submit sends the form with the extra value; the reply refills the form', () => {
  const submit = cmds(['push', { event: 'save', value: { draft: false } }]);
  const { ws } = mount(`<form phx-submit="${submit}"><input name="q" value="a"></form>`);
  $('form').dispatchEvent(new window.Event('submit', { bubbles: true, cancelable: true }));
  assert.deepEqual(events(ws), [['event', 'save', { q: 'a', draft: false }]]);
});

test('patch pushes the URL and tells the server; navigate joins the next view over the socket', () => {
  const { ws } = mount(`<a href="/users/new" phx-click="${cmds(['patch', { href: '/users/new' }])}">New</a>`);
  const click = new window.MouseEvent('click', { bubbles: true, cancelable: true });
  $('a').dispatchEvent(click);
  assert.ok(click.defaultPrevented, 'the link is not followed');
  assert.equal(window.location.pathname, '/users/new');
  assert.deepEqual(events(ws), [['nav', 'http://localhost:4000/users/new']]);
  const next = mount(`<button phx-click="${cmds(['navigate', { href: '/chat' }])}">chat</button>`);
  $('button').click();
  assert.equal(window.location.pathname, '/chat');
  assert.equal(next.ws.lastSent[1], 'join');
  assert.equal(next.ws.lastSent[2].url, 'http://localhost:4000/chat');
  window.history.replaceState(null, '', '/counter?x=1');
});

test('dispatch fires a bubbling CustomEvent with the detail; focus focuses; set_attribute survives a patch', () => {
  const chain = cmds(['dispatch', { to: '#p', event: 'copied', detail: { n: 1 } }], ['focus', { to: '#q' }], ['set_attribute', { to: '#p', attr: ['aria-busy', 'true'] }]);
  const { ws } = mount(`<button phx-click="${chain}">x</button><div id="w"><p id="p">a</p></div><input id="q">`);
  const heard = [];
  $('#w').addEventListener('copied', (e) => heard.push(e.detail));
  $('button').click();
  assert.deepEqual(heard, [{ n: 1 }]);
  assert.equal(document.activeElement, $('#q'));
  ws.receive([0, { '': `<button phx-click="${chain}">x</button><div id="w"><p id="p">b</p></div><input id="q">` }]);
  assert.equal($('#p').getAttribute('aria-busy'), 'true');
});

test('exec runs the commands of another attribute as that element, from any binding', () => {
  const cancel = cmds(['hide', { to: '#m' }], ['push', { event: 'close' }]);
  const { ws } = mount(`<div id="m" data-cancel="${cancel}" phx-window-keydown="${cmds(['exec', { attr: 'data-cancel', to: '#m' }])}" phx-key="Escape">m</div>`);
  window.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Enter' }));
  assert.notEqual($('#m').style.display, 'none');
  window.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Escape' }));
  assert.equal($('#m').style.display, 'none');
  assert.deepEqual(events(ws), [['event', 'close', { key: 'Escape' }]]);
});

test('an unknown command is skipped with a warning and the others still run', () => {
  mount(`<button phx-click="${cmds(['explode', {}], ['add_class', { names: 'ok' }])}">x</button>`);
  const warn = console.warn;
  const seen = [];
  console.warn = (m) => seen.push(m);
  try {
    $('button').click();
  } finally {
    console.warn = warn;
  }
  assert.ok($('button').classList.contains('ok'));
  assert.match(seen[0], /unknown JS command explode/);
});
