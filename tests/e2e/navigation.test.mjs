// Live navigation (docs/protocol.md §8.2) in a real browser: the nav bar moves between the
// demo's screens over the same websocket, with no page load, and back/forward work.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { connected, serverPerSuite, spec, WAIT_MS } from './suite.mjs';

async function waitForHeading(page, text) {
  await page.waitForFunction((want) => document.querySelector('h1')?.textContent.trim().startsWith(want), text, {
    timeout: WAIT_MS,
    polling: 50,
  });
}

describe('navigation', () => {
  const server = serverPerSuite();

  spec('the_nav_bar_moves_between_screens_over_one_socket_and_back_returns', server, async ({ page, server }) => {
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(server.url('/counter'));
    await connected(page);
    await page.locator('button:text-is("+")').click();
    await waitForHeading(page, 'Counter: 1');
    // A page load would forget this.
    await page.evaluate(() => (window.notReloaded = true));

    await page.locator('nav a:text-is("Chat")').click();
    await page.waitForURL(/\/chat(\?|$)/);
    await connected(page);
    await page.locator('#chat-form').waitFor();
    assert.equal(await page.title(), 'Chat · LiveView for Rust', 'the live title keeps the layout\'s suffix');

    await page.locator('nav a:text-is("Users")').click();
    await page.waitForURL(/\/users$/);
    await waitForHeading(page, 'Listing Users');

    await page.goBack();
    await page.waitForURL(/\/chat(\?|$)/);
    await page.locator('#chat-form').waitFor();
    await page.goBack();
    await page.waitForURL(/\/counter$/);
    // A new counter view: navigation mounts the view afresh.
    await waitForHeading(page, 'Counter: 0');

    assert.equal(await page.evaluate(() => window.notReloaded), true, 'no page load on the way');
    assert.equal(sockets.length, 1, `one websocket for the whole visit: ${sockets.join(', ')}`);
  });

  spec('a_reload_after_navigating_serves_the_page_navigated_to', server, async ({ page, server }) => {
    await page.goto(server.url('/counter'));
    await connected(page);
    await page.locator('nav a:text-is("Search")').click();
    await page.waitForURL(/\/search/);
    await connected(page);
    await page.reload();
    await connected(page);
    assert.ok(await page.locator('#search-form').isVisible());
  });
});
