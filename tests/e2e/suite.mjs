// What every browser test file needs: one Chromium per test file, one demo-app server per
// describe(), tests with their own browser contexts whose logs end up in the failure
// message, and waits on the live container's connection state.
//
//   import { connected, serverPerSuite, spec } from './suite.mjs';
//
//   describe('counter', () => {
//     const server = serverPerSuite();
//     spec('clicking_plus_shows_1', server, async ({ page, server, newPage }) => { ... });
//   });
//
// Importing this module registers a file-level `before` that launches the browser and an
// `after` that closes it (node --test runs each test file in its own process).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { startNodes, startServer } from './server.mjs';
import { launchBrowser, openPage, WAIT_MS } from './browser.mjs';

export { WAIT_MS };

/** The bound on one test, browser context set-up and teardown included. */
export const TEST_TIMEOUT_MS = 60_000;
/** How long a page may take to rejoin after its server came back. */
export const RECONNECT_MS = 15_000;

/** The live view's container and the connection states the client puts on it. */
export const MAIN = '[data-phx-main]';
export const STATES = ['phx-loading', 'phx-connected', 'phx-error'];

const shared = { browser: null };

before(async () => {
  shared.browser = await launchBrowser();
});

after(async () => {
  await shared.browser?.close().catch(() => {});
});

/** Starts one server for the enclosing describe() and stops it after; returns a getter. */
export function serverPerSuite(options) {
  let running = null;
  before(async () => {
    running = await startServer(options);
  });
  after(async () => {
    await running?.dispose();
  });
  return () => running;
}

/**
 * Starts a redis-server and two demo-app nodes on it (server.mjs `startNodes`) for the
 * enclosing describe() and stops them after; returns a getter of `{ redis, a, b, ... }`.
 */
export function nodesPerSuite(options) {
  let running = null;
  before(async () => {
    running = await startNodes(options);
  });
  after(async () => {
    await running?.dispose();
  });
  return () => running;
}

/** Waits until the live container shows `state` (one of STATES) and no other state class. */
export async function waitForState(page, state, timeout = WAIT_MS) {
  await page.waitForFunction(
    ([sel, want, all]) => {
      const el = document.querySelector(sel);
      return !!el && el.classList.contains(want) && all.filter((s) => el.classList.contains(s)).length === 1;
    },
    [MAIN, state, STATES],
    { timeout, polling: 50 },
  );
}

/** Marks the page's document: still there later means the page was never reloaded. */
export async function markDocument(page) {
  await page.evaluate(() => (window.__e2eSameDocument = true));
}

/** Asserts that the mark `markDocument` set is still there (the page was not reloaded). */
export async function assertNotReloaded(page, who = 'the page') {
  assert.equal(await page.evaluate(() => window.__e2eSameDocument), true, `${who} was not reloaded`);
}

/** Waits until the page's live view is joined (`phx-connected`). */
export const connected = (page, timeout) => waitForState(page, 'phx-connected', timeout);

/**
 * A test with its own browser context. `body` gets `{ page, logs, server, newPage }`;
 * `newPage(label, contextOptions)` opens a further context (a second person) and returns
 * `{ context, page, logs }`. `contextOptions` go to browser.newContext, except `label`,
 * which names the first page in logs when a test opens several (default `page 1`), and
 * `todo` (a string saying why): a known bug, so the test runs and reports, failing or not,
 * without failing the run. Every context is closed when the test ends (closing one early
 * is fine). On failure the error carries each page's console, errors and websocket frames
 * plus the server's last log lines; console errors are also reported as diagnostics when
 * the test passes (E2E_VERBOSE=1: the whole logs).
 */
export function spec(name, getServer, body, { todo, ...contextOptions } = {}) {
  test(name, { timeout: TEST_TIMEOUT_MS, todo }, async (t) => {
    const opened = [];
    const open = async (label, options) => {
      const one = await openPage(shared.browser, options);
      opened.push({ label, ...one });
      return one;
    };
    // A test with one page says just "browser log"; with several, each is named.
    const who = (label) => (opened.length > 1 ? ` [${label}]` : '');
    const dumps = () => opened.map(({ label, logs }) => logs.dump(`browser log of ${name}${who(label)}`)).join('\n');
    try {
      const { label = 'page 1', ...options } = contextOptions;
      const { page, logs } = await open(label, options);
      const newPage = (label = `page ${opened.length + 1}`, options = {}) => open(label, options);
      await body({ page, logs, server: getServer(), newPage });
      for (const { label, logs: l } of opened) {
        for (const line of [...l.of('error'), ...l.of('pageerror')]) t.diagnostic(`browser${who(label)}: ${line.trim()}`);
      }
      if (process.env.E2E_VERBOSE) for (const line of dumps().split('\n')) t.diagnostic(line);
    } catch (e) {
      e.message += `\n${dumps()}\n----- server log -----\n${getServer()?.logTail() ?? ''}\n-----`;
      throw e;
    } finally {
      await Promise.all(opened.map(({ context }) => context.close().catch(() => {})));
    }
  });
}
