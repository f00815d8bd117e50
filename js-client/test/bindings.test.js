// Bindings (protocol §5) through the real LiveView, with a fake socket and fake timers.
import { window, document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount, events } from '../test-support/fakes.js';

const $ = (sel) => document.querySelector(sel);
const fire = (el, type, init = {}) => el.dispatchEvent(new window.Event(type, { bubbles: true, cancelable: true, ...init }));
const key = (target, type, k) => target.dispatchEvent(new window.KeyboardEvent(type, { key: k, bubbles: true, cancelable: true }));
const typeInto = (input, value) => {
  input.value = value;
  fire(input, 'input');
};

test('click sends phx-value-* (from a click inside the element) and shows loading until the reply', () => {
  const { ws } = mount('<button phx-click="inc" phx-value-id="7" phx-value-kind="x"><span>+</span></button>');
  $('span').click();
  assert.deepEqual(events(ws), [['event', 'inc', { id: '7', kind: 'x' }]]);
  const button = $('button');
  assert.ok(button.classList.contains('phx-click-loading'));
  ws.receive([ws.lastSent[0]]);
  assert.ok(!button.classList.contains('phx-click-loading'));
});

test('a click outside any phx-click sends nothing, and href="#" is not followed', () => {
  const { ws } = mount('<p>x</p><a href="#" phx-click="go">go</a>');
  $('p').click();
  assert.equal(events(ws).length, 0);
  const ev = new window.MouseEvent('click', { bubbles: true, cancelable: true });
  $('a').dispatchEvent(ev);
  assert.ok(ev.defaultPrevented);
  assert.deepEqual(events(ws), [['event', 'go', {}]]);
});

test('submit serialises nested names, arrays and repeats; disable-with and loading revert on reply', () => {
  const { ws } = mount(`
    <form phx-submit="save">
      <input name="user[email]" value="a@b.c"><input name="user[address][city]" value="Oslo">
      <input name="tags[]" value="x"><input name="tags[]" value="y">
      <input name="plain" value="1"><input name="plain" value="2">
      <input type="checkbox" name="off" value="on">
      <button type="submit" phx-disable-with="Saving...">Save <b>it</b></button>
    </form>`);
  const form = $('form');
  const button = $('button');
  button.click();
  assert.deepEqual(events(ws), [
    ['event', 'save', { user: { email: 'a@b.c', address: { city: 'Oslo' } }, tags: ['x', 'y'], plain: '2' }],
  ]);
  assert.ok(form.classList.contains('phx-submit-loading'));
  assert.equal(button.disabled, true);
  assert.equal(button.textContent, 'Saving...');
  ws.receive([ws.lastSent[0], null]);
  assert.ok(!form.classList.contains('phx-submit-loading'));
  assert.equal(button.disabled, false);
  assert.equal(button.innerHTML, 'Save <b>it</b>');
});

test('change sends the form with _target; the change event repeating an input event is not sent again', () => {
  const { ws } = mount('<form phx-change="validate"><input name="user[email]" value=""><select name="role"><option>a</option><option selected>b</option></select></form>');
  const input = $('input');
  typeInto(input, 'me@x');
  fire(input, 'change');
  assert.deepEqual(events(ws), [['event', 'validate', { user: { email: 'me@x' }, role: 'b', _target: 'user[email]' }]]);
  assert.ok($('form').classList.contains('phx-change-loading'));
});

test('phx-change on a lone input sends its own name and value', () => {
  const { ws } = mount('<input name="q" phx-change="search" value="">');
  typeInto($('input'), 'rust');
  assert.deepEqual(events(ws), [['event', 'search', { q: 'rust', _target: 'q' }]]);
});

test('keydown is filtered by phx-key (case-insensitive) and carries key, phx-value-* and value', () => {
  const { ws } = mount('<input phx-keydown="k" phx-key="enter" phx-value-row="3" value="hi"><div phx-keyup="up">x</div>');
  const input = $('input');
  key(input, 'keydown', 'a');
  assert.equal(events(ws).length, 0);
  key(input, 'keydown', 'Enter');
  assert.deepEqual(events(ws), [['event', 'k', { key: 'Enter', row: '3', value: 'hi' }]]);
  key($('[phx-keyup]'), 'keyup', 'x');
  assert.deepEqual(events(ws)[1], ['event', 'up', { key: 'x' }]);
});

test('data-confirm asks before a click goes through; cancel sends nothing', () => {
  const { ws } = mount('<a href="#" phx-click="delete" phx-value-id="7" data-confirm="Are you sure?">Delete</a>');
  const asked = [];
  const confirm = window.confirm;
  try {
    window.confirm = (msg) => (asked.push(msg), false);
    $('a').click();
    assert.equal(events(ws).length, 0, 'cancelled: nothing sent');
    window.confirm = (msg) => (asked.push(msg), true);
    $('a').click();
    assert.deepEqual(events(ws), [['event', 'delete', { id: '7' }]]);
  } finally {
    window.confirm = confirm;
  }
  assert.deepEqual(asked, ['Are you sure?', 'Are you sure?']);
});

test('phx-key may name several keys separated by spaces', () => {
  const { ws } = mount('<input phx-keydown="move" phx-key="ArrowUp ArrowDown" value="">');
  const input = $('input');
  key(input, 'keydown', 'a');
  key(input, 'keydown', 'ArrowDown');
  key(input, 'keydown', 'arrowup');
  assert.deepEqual(events(ws).map((e) => e[2].key), ['ArrowDown', 'arrowup']);
});

test('phx-window-keydown hears keys anywhere, filtered by phx-key; window focus/blur', () => {
  const { ws } = mount('<div phx-window-keydown="close" phx-key="Escape" phx-value-id="m"></div><div phx-window-blur="away" phx-window-focus="back"></div>');
  key(window, 'keydown', 'a');
  key(document.body, 'keydown', 'Escape');
  assert.deepEqual(events(ws), [['event', 'close', { key: 'Escape', id: 'm' }]]);
  window.dispatchEvent(new window.Event('blur'));
  window.dispatchEvent(new window.Event('focus'));
  assert.deepEqual(events(ws).slice(1), [['event', 'away', {}], ['event', 'back', {}]]);
});

test('phx-focus / phx-blur send phx-value-* and the input value', () => {
  const { ws } = mount('<input phx-focus="f" phx-blur="b" phx-value-k="v" value="x">');
  const input = $('input');
  input.dispatchEvent(new window.FocusEvent('focusin', { bubbles: true }));
  input.dispatchEvent(new window.FocusEvent('focusout', { bubbles: true }));
  assert.deepEqual(events(ws), [['event', 'f', { k: 'v', value: 'x' }], ['event', 'b', { k: 'v', value: 'x' }]]);
});

test('no event is sent before the join reply', () => {
  const { ws } = mount('<button phx-click="x">x</button>', { join: false });
  $('button').click();
  assert.equal(ws.sent.length, 1);
  assert.equal(ws.sent[0][1], 'join');
});

test('a data-phx-link="patch" link pushes history and sends nav; popstate sends nav', () => {
  const { ws } = mount('<a href="/counter?page=2" data-phx-link="patch">2</a>');
  const before = window.history.length;
  $('a').click();
  assert.equal(window.location.href, 'http://localhost:4000/counter?page=2');
  assert.equal(window.history.length, before + 1);
  assert.deepEqual(events(ws), [['nav', 'http://localhost:4000/counter?page=2']]);
  window.history.replaceState(null, '', '/counter?page=1');
  window.dispatchEvent(new window.PopStateEvent('popstate', { state: null }));
  assert.deepEqual(events(ws)[1], ['nav', 'http://localhost:4000/counter?page=1']);
});
