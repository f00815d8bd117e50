// Loading states (protocol §5): phx-<type>-loading and phx-disable-with while an event
// awaits its reply, through the real LiveView with a fake socket.
import { document } from '../test-support/dom.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mount } from '../test-support/fakes.js';

const $ = (sel) => document.querySelector(sel);

test('an update pushed while an event is pending keeps the loading state; the reply restores the newest content', () => {
  const { ws } = mount('<form phx-submit="s"><button phx-disable-with="...">Go</button></form>');
  $('button').click();
  const ref = ws.lastSent[0];
  ws.receive([0, { '': '<form phx-submit="s"><button phx-disable-with="...">Go now</button></form>' }]);
  const button = $('button');
  assert.equal(button.textContent, '...');
  assert.equal(button.disabled, true);
  assert.ok($('form').classList.contains('phx-submit-loading'));
  ws.receive([ref]);
  assert.equal(button.textContent, 'Go now');
  assert.equal(button.disabled, false);
  assert.ok(!$('form').classList.contains('phx-submit-loading'));
});

test('loading states are dropped when the socket is lost', () => {
  const { ws } = mount('<button phx-click="x">x</button>');
  $('button').click();
  ws.serverClose();
  assert.ok(!$('button').classList.contains('phx-click-loading'));
});
