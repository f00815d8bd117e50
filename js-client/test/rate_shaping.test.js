// Rate shaping (protocol §5): phx-debounce and phx-throttle through the real bindings, with
// a fake socket and fake timers.
import { window, document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount, events } from '../test-support/fakes.js';

const $ = (sel) => document.querySelector(sel);
const fire = (el, type, init = {}) => el.dispatchEvent(new window.Event(type, { bubbles: true, cancelable: true, ...init }));
const typeInto = (input, value) => {
  input.value = value;
  fire(input, 'input');
};

test('phx-debounce waits for a pause and sends the latest value', () => {
  const { ws, timers } = mount('<form phx-change="c"><input name="q" phx-debounce="300"></form>');
  const input = $('input');
  typeInto(input, 'a');
  timers.tick(200);
  typeInto(input, 'ab');
  timers.tick(200);
  typeInto(input, 'abc');
  assert.equal(events(ws).length, 0);
  timers.tick(299);
  assert.equal(events(ws).length, 0);
  timers.tick(1);
  assert.deepEqual(events(ws), [['event', 'c', { q: 'abc', _target: 'q' }]]);
});

test('phx-debounce="blur" sends when the input loses focus', () => {
  const { ws, timers } = mount('<form phx-change="c"><input name="q" phx-debounce="blur"></form>');
  const input = $('input');
  typeInto(input, 'a');
  typeInto(input, 'ab');
  timers.tick(10000);
  assert.equal(events(ws).length, 0);
  input.dispatchEvent(new window.FocusEvent('focusout', { bubbles: true }));
  assert.deepEqual(events(ws), [['event', 'c', { q: 'ab', _target: 'q' }]]);
});

test('phx-throttle sends at once, then at most once per period', () => {
  const { ws, timers } = mount('<button phx-click="t" phx-throttle="1000">t</button>');
  const b = $('button');
  b.click();
  b.click();
  b.click();
  assert.equal(events(ws).length, 1);
  timers.tick(1000);
  assert.equal(events(ws).length, 1, 'clicks during the period are dropped');
  b.click();
  assert.equal(events(ws).length, 2);
});

test('phx-throttle on an input keeps the last value (trailing send)', () => {
  const { ws, timers } = mount('<form phx-change="c"><input name="q" phx-throttle="500"></form>');
  const input = $('input');
  typeInto(input, 'a');
  typeInto(input, 'ab');
  typeInto(input, 'abc');
  assert.deepEqual(events(ws), [['event', 'c', { q: 'a', _target: 'q' }]]);
  timers.tick(500);
  assert.deepEqual(events(ws)[1], ['event', 'c', { q: 'abc', _target: 'q' }]);
});

test('a submit flushes the pending debounced change of its form first', () => {
  const { ws, timers } = mount('<form phx-change="c" phx-submit="s"><input name="q" phx-debounce="1000"><button>go</button></form>');
  typeInto($('input'), 'x');
  $('button').click();
  assert.deepEqual(events(ws), [
    ['event', 'c', { q: 'x', _target: 'q' }],
    ['event', 's', { q: 'x' }],
  ]);
  timers.tick(2000);
  assert.equal(events(ws).length, 2, 'the flushed change is not sent again');
});
