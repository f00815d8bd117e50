// The counter screen (/counter) in a real browser, against the release demo-app binary.
// Contract: shared DEMO.md (h1 `Counter: N`, buttons `+`/`-`), docs/protocol.md §1, §3, §8.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { connected, MAIN, RECONNECT_MS, serverPerSuite, spec, waitForState, WAIT_MS } from './suite.mjs';

const PLUS = 'button[phx-click="increment"]:text-is("+")';
const MINUS = 'button[phx-click="decrement"]:text-is("-")';

// ---------------------------------------------------------------------------------------
// Steps, written so the tests below read as the spec.

async function heading(page) {
  return (await page.locator('h1').first().textContent()).trim();
}

/** Waits until the page's `<h1>` reads exactly `text`. */
async function waitForHeading(page, text, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      (want) => document.querySelector('h1')?.textContent.trim() === want,
      text,
      { timeout, polling: 50 },
    );
  } catch (e) {
    e.message = `h1 never became ${JSON.stringify(text)} (it is ${JSON.stringify(await heading(page).catch(() => '?'))}): ${e.message}`;
    throw e;
  }
}

async function openCounter(page, server) {
  await page.goto(server.url('/counter'));
  await connected(page);
  await waitForHeading(page, 'Counter: 0');
}

/** Clicks `button` and waits for the h1 to show `Counter: expected`. */
async function click(page, button, expected) {
  await page.locator(button).click();
  await waitForHeading(page, `Counter: ${expected}`);
}

// ---------------------------------------------------------------------------------------

describe('counter', () => {
  const server = serverPerSuite();

  spec('clicking_plus_three_times_shows_counter_3', server, async ({ page, server }) => {
    await openCounter(page, server);

    await click(page, PLUS, 1);
    await click(page, PLUS, 2);
    await click(page, PLUS, 3);

    assert.equal(await heading(page), 'Counter: 3');
  });

  spec('reloading_the_page_starts_again_at_0', server, async ({ page, server }) => {
    await openCounter(page, server);
    await click(page, PLUS, 1);
    await click(page, PLUS, 2);

    await page.reload();

    await connected(page);
    assert.equal(await heading(page), 'Counter: 0');
    await click(page, PLUS, 1); // and it still counts
  });

  spec('minus_decrements', server, async ({ page, server }) => {
    await openCounter(page, server);
    await click(page, PLUS, 1);
    await click(page, PLUS, 2);

    await click(page, MINUS, 1);
    await click(page, MINUS, 0);

    assert.equal(await heading(page), 'Counter: 0');
  });

  spec('a_forged_session_token_is_refused', server, async ({ page, server }) => {
    await openCounter(page, server);

    const seen = await page.evaluate(
      ({ url, timeout }) =>
        new Promise((resolve) => {
          const out = { frames: [], close: null, error: false };
          const ws = new WebSocket(url);
          const timer = setTimeout(() => {
            out.timedOut = true;
            ws.close();
            resolve(out);
          }, timeout);
          ws.onopen = () => ws.send(JSON.stringify([1, 'join', { session: 'forged.token', url: location.href }]));
          ws.onmessage = (m) => out.frames.push(m.data);
          ws.onerror = () => (out.error = true);
          ws.onclose = (c) => {
            clearTimeout(timer);
            out.close = { code: c.code, reason: c.reason };
            resolve(out);
          };
        }),
      { url: server.wsUrl('/counter?vsn=1'), timeout: WAIT_MS },
    );

    assert.ok(!seen.timedOut, `the server neither answered nor closed in time: ${JSON.stringify(seen)}`);
    assert.equal(seen.frames.length, 1, `expected exactly one frame: ${JSON.stringify(seen)}`);
    const reply = JSON.parse(seen.frames[0]);
    assert.equal(reply.length, 3, `reply is [ref, null, meta]: ${seen.frames[0]}`);
    const [ref, diff, meta] = reply;
    assert.equal(ref, 1);
    assert.equal(diff, null);
    assert.match(meta.fatal, /^invalid session token: /);
    assert.equal(meta.reload, true);
    assert.deepEqual(Object.keys(meta).sort(), ['fatal', 'reload']);
    assert.equal(seen.close?.code, 1008, `close: ${JSON.stringify(seen.close)}`);

    // The page's own view is not affected.
    await connected(page);
    await click(page, PLUS, 1);
  });

  spec(
    'the_page_works_without_javascript',
    server,
    async ({ page, server }) => {
      const res = await page.goto(server.url('/counter'));
      assert.equal(res.status(), 200);

      assert.equal(await heading(page), 'Counter: 0');
      const nav = page.locator('nav');
      assert.equal(await nav.count(), 1, 'one nav bar');
      assert.ok(await nav.isVisible(), 'the nav bar is visible');
      assert.equal(await nav.locator('a[href="/counter"]').count(), 1, 'the nav bar links /counter');
      assert.equal(await page.locator(PLUS).count(), 1, 'the + button is rendered');
      assert.equal(await page.locator(MINUS).count(), 1, 'the - button is rendered');
      assert.ok(await page.locator(`${MAIN}[data-phx-session]`).count(), 'the container carries its session token');
    },
    { javaScriptEnabled: false },
  );
});

describe('counter across a server restart', () => {
  const server = serverPerSuite();

  spec(
    'a_killed_server_shows_the_disconnected_state_then_reconnects_by_itself',
    server,
    async ({ page, server, logs }) => {
      await openCounter(page, server);
      await click(page, PLUS, 1);
      const banner = page.locator('.reconnecting');
      assert.ok(!(await banner.isVisible()), 'no reconnecting banner while connected');

      const { forced } = await server.stop();
      logs.add('e2e', `server stopped${forced ? ' (needed SIGKILL)' : ''}`);

      await waitForState(page, 'phx-error');
      await banner.waitFor({ state: 'visible' });

      await server.restart();
      logs.add('e2e', 'server restarted');

      await connected(page, RECONNECT_MS);
      await banner.waitFor({ state: 'hidden' });
      // The rejoin is a fresh mount (protocol §8): the count starts again at 0.
      await waitForHeading(page, 'Counter: 0');
      await click(page, PLUS, 1);
    },
  );
});
