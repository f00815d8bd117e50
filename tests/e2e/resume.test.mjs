// Resume after a short disconnect (docs/protocol.md §8), in a real browser: the page goes
// offline for a few seconds (the browser, not the server), and when it is back the view is
// the same view, with its state, and what the user typed meanwhile is still there.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { connected, serverPerSuite, spec, waitForState, RECONNECT_MS, WAIT_MS } from './suite.mjs';

const PLUS = 'button[phx-click="increment"]:text-is("+")';

async function waitForText(page, selector, text, timeout = WAIT_MS) {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
    [selector, text],
    { timeout, polling: 50 },
  );
}

describe('resume', () => {
  const server = serverPerSuite();

  spec('an_offline_spell_keeps_the_counter_at_5_and_the_unsent_text', server, async ({ page, server, logs }) => {
    await page.goto(server.url('/counter'));
    await connected(page);
    for (let n = 1; n <= 5; n++) {
      await page.locator(PLUS).click();
      await waitForText(page, 'h1', `Counter: ${n}`);
    }
    // A form on another page of the same browser, with text that never reached the server.
    const chat = await page.context().newPage();
    logs.add('e2e', 'chat page opened');
    await chat.goto(server.url('/chat'));
    await connected(chat);

    await page.context().setOffline(true);
    logs.add('e2e', 'offline');
    await waitForState(page, 'phx-error', RECONNECT_MS);
    await waitForState(chat, 'phx-error', RECONNECT_MS);
    await chat.locator('#chat-form input[name="message"]').fill('typed while offline');

    await page.context().setOffline(false);
    logs.add('e2e', 'online');
    await connected(page, RECONNECT_MS);
    await connected(chat, RECONNECT_MS);

    assert.equal((await page.locator('h1').textContent()).trim(), 'Counter: 5', 'the counter kept its state');
    assert.equal(await chat.locator('#chat-form input[name="message"]').inputValue(), 'typed while offline');
    // And it is the live view still: it counts on from 5.
    await page.locator(PLUS).click();
    await waitForText(page, 'h1', 'Counter: 6');
  });
});
