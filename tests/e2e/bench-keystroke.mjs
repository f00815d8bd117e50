// Keystroke to results painted, in headless Chromium against the release demo-app binary:
// for 50 different city-name prefixes (1 to 4 letters) typed into /search at a person's
// pace, the time from the last key's `keydown` to the first animation frame after
// `#results` shows that query's results, minus the input's 300 ms debounce. Prints one
// JSON line (median, p90, max in ms) on stdout; progress goes to stderr. Not part of
// `npm test`: nothing here asserts a time.
//
//   DEMO_APP_BIN=/path/to/demo-app node bench-keystroke.mjs     (or: npm run bench-keystroke)
//
// Measured inside the page with performance.now(): a capturing keydown listener on window
// notes each key; a MutationObserver on #results waits until its first result marks the
// whole query (so results of a shorter prefix, or stale ones, never count), then one
// requestAnimationFrame: its callback runs right before that frame is painted. Between two
// queries the box is cleared (Ctrl+A, Backspace) and the empty state awaited, so every
// measured query starts from an empty list. One warm-up query (not counted) comes first.

import { startServer, BIN } from './server.mjs';
import { launchBrowser } from './browser.mjs';

const DEBOUNCE_MS = 300;
const TYPING_DELAY_MS = 80;
const WAIT_MS = 10_000;
const TARGET_MS = 25;

// Prefixes of real city names, 1 to 4 letters, all different; each has results.
const QUERIES = [
  'l', 'm', 'b', 'k', 't', 'p', 's', 'c', 'd', 'h',
  'to', 'pa', 'be', 'ma', 'ca', 'ly', 'os', 'ki', 'ha', 'ro', 'du', 'li',
  'ber', 'mad', 'tok', 'par', 'lon', 'mum', 'cai', 'lim', 'syd', 'osa', 'nai', 'bog', 'var', 'kyi',
  'lond', 'berl', 'mosc', 'toky', 'cair', 'lago', 'dhak', 'kara', 'mani', 'madr', 'pari', 'rome', 'shan', 'beij',
];
const WARM_UP = 'zur';

const INPUT = 'form#search-form input[name="query"]';
const log = (...a) => console.error(...a);

async function waitForEmpty(page) {
  await page.waitForFunction(
    (input) =>
      document.querySelector(input)?.value === '' &&
      new URL(location.href).searchParams.get('q') === null &&
      document.querySelectorAll('#results > li').length === 0,
    INPUT,
    { timeout: WAIT_MS, polling: 'raf' },
  );
}

/** Arms the in-page measurement for `query`; `window.__bench` resolves with the times. */
function arm(page, query) {
  return page.evaluate((q) => {
    const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    const keys = [];
    const onKey = (e) => keys.push(performance.now());
    window.addEventListener('keydown', onKey, true);
    const results = document.getElementById('results');
    const shows = () => {
      const first = results.querySelector('li');
      return !!first && [...first.querySelectorAll('.name mark')].some((m) => fold(m.textContent) === fold(q));
    };
    window.__bench = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (!shows()) return;
        const patched = performance.now();
        observer.disconnect();
        requestAnimationFrame(() => {
          const frame = performance.now();
          window.removeEventListener('keydown', onKey, true);
          resolve({ keys: keys.length, lastKey: keys.at(-1), patched, frame });
        });
      });
      observer.observe(results, { childList: true, subtree: true, characterData: true });
    });
  }, query);
}

async function measure(page, query) {
  await arm(page, query);
  await page.keyboard.type(query, { delay: TYPING_DELAY_MS });
  const t = await page.evaluate(
    (ms) => Promise.race([window.__bench, new Promise((r) => setTimeout(() => r(null), ms))]),
    WAIT_MS,
  );
  if (!t) throw new Error(`no results for ${JSON.stringify(query)} within ${WAIT_MS} ms`);
  if (t.keys !== query.length) throw new Error(`${query}: saw ${t.keys} keydowns, typed ${query.length}`);
  // Clear for the next one.
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await waitForEmpty(page);
  return { paint: t.frame - t.lastKey - DEBOUNCE_MS, dom: t.patched - t.lastKey - DEBOUNCE_MS };
}

const round = (x) => Math.round(x * 10) / 10;
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p90 = s[Math.ceil(0.9 * n) - 1];
  return { median: round(median), p90: round(p90), max: round(s[n - 1]), min: round(s[0]) };
}

if (new Set(QUERIES).size !== 50) throw new Error('50 different queries expected');

log(`demo-app: ${BIN}`);
const server = await startServer({ env: { RUST_LOG: process.env.RUST_LOG || 'warn' } });
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url('/search'));
  await page.waitForSelector('[data-phx-main].phx-connected');
  await page.locator(INPUT).click();
  await waitForEmpty(page);

  const warm = await measure(page, WARM_UP);
  log(`warm-up ${WARM_UP}: ${round(warm.paint)} ms`);
  const paint = [];
  const dom = [];
  for (const q of QUERIES) {
    const m = await measure(page, q);
    paint.push(m.paint);
    dom.push(m.dom);
    log(`${q.padEnd(5)} ${round(m.paint).toFixed(1).padStart(6)} ms to paint, ${round(m.dom).toFixed(1).padStart(6)} ms to DOM`);
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('\n')}`);
  const p = stats(paint);
  const d = stats(dom);
  console.log(
    JSON.stringify({
      bench: 'keystroke_to_paint',
      queries: paint.length,
      debounce_ms: DEBOUNCE_MS,
      typing_delay_ms: TYPING_DELAY_MS,
      median_ms: p.median,
      p90_ms: p.p90,
      max_ms: p.max,
      min_ms: p.min,
      dom_median_ms: d.median,
      target_median_ms: TARGET_MS,
    }),
  );
} finally {
  await browser.close().catch(() => {});
  await server.dispose();
}
