// The search screen (/search) in a real browser, against the release demo-app binary:
// search-as-you-type over the 34,006 GeoNames cities shipped with the app, typed with real
// keystrokes at a person's pace.
// Contract: shared DEMO.md (search section); ids and classes from demo-app/src/search.rs.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { assertNotReloaded, connected, markDocument, serverPerSuite, spec, WAIT_MS } from './suite.mjs';

const FORM = 'form#search-form[phx-change="search"][phx-submit="search"]';
const INPUT = `${FORM} input[type="text"][name="query"][phx-debounce="300"]`;
const SEARCH = `${FORM} button[type="submit"]:text-is("Search")`;
const SUMMARY = 'p#summary';
const RESULT = 'ul#results > li.result';
const DETAILS = '#city-details';

/** Milliseconds between two keystrokes: a person typing at a normal pace. */
const TYPING = 90;

// ---------------------------------------------------------------------------------------
// Steps, written so the tests below read as the spec.

/** What the page shows: the query in the URL and the box, the summary, every result. */
function shown(page) {
  return page.evaluate(
    ([input, summary, result]) => {
      const box = document.querySelector(input);
      const url = new URL(location.href);
      return {
        path: url.pathname,
        q: url.searchParams.get('q'),
        value: box?.value,
        summary: document.querySelector(summary)?.textContent.trim(),
        results: [...document.querySelectorAll(result)].map((li) => ({
          name: li.querySelector('.name')?.textContent,
          marks: [...li.querySelectorAll('.name mark')].map((m) => m.textContent),
          where: li.querySelector('.where')?.textContent,
          population: li.querySelector('.population')?.textContent,
          selected: li.classList.contains('selected'),
        })),
      };
    },
    [INPUT, SUMMARY, RESULT],
  );
}

/** `shown()` cut down to a readable size for a failure message. */
async function brief(page) {
  try {
    const s = await shown(page);
    const clip = (t) => (typeof t === 'string' && t.length > 60 ? `${t.slice(0, 60)}… (${t.length} chars)` : t);
    return JSON.stringify({ ...s, q: clip(s.q), value: clip(s.value), results: s.results.slice(0, 3).map((r) => r.name), count: s.results.length });
  } catch (e) {
    return `? (${e.message})`;
  }
}

/**
 * Waits until the page shows the results of `query`: the URL reads `/search?q=<query>`
 * (just `/search` when empty) and the summary agrees with the list — nothing listed for an
 * empty query, `No results` with nothing listed, or `N matches[, the K largest shown]` with
 * that many results listed. Returns `shown()`.
 */
async function waitForResults(page, query, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      ([q, summarySel, resultSel]) => {
        const url = new URL(location.href);
        if (url.pathname !== '/search' || (url.searchParams.get('q') ?? '') !== q) return false;
        const summary = document.querySelector(summarySel)?.textContent.trim() ?? '';
        const listed = document.querySelectorAll(resultSel).length;
        if (q.trim() === '') return listed === 0;
        if (summary === 'No results') return listed === 0;
        const m = summary.match(/^([\d,]+) match(?:es)?(?:, the (\d+) largest shown)?$/);
        return !!m && listed === Number(m[2] ?? m[1].replace(/,/g, ''));
      },
      [query, SUMMARY, RESULT],
      { timeout, polling: 'raf' },
    );
  } catch (e) {
    e.message = `the page never showed the results of ${JSON.stringify(query.length > 60 ? `${query.slice(0, 60)}…` : query)}; it shows ${await brief(page)}: ${e.message}`;
    throw e;
  }
  return shown(page);
}

/** Lower case without accents: `Zür` -> `zur`. */
const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** Asserts that `results` lead with `first` and that every one marks the query `word`. */
function assertResults({ results }, { first, word }) {
  assert.ok(results.length > 0, 'there are results');
  if (first) assert.equal(results[0].name, first, `the first result is ${first}: ${JSON.stringify(results.slice(0, 3))}`);
  if (word) {
    for (const r of results) {
      assert.ok(r.marks.some((m) => fold(m) === fold(word)), `${JSON.stringify(r.name)} marks ${JSON.stringify(word)}: ${JSON.stringify(r.marks)}`);
    }
  }
}

/** Opens `path` (default /search), joined, with the search box focused and empty. */
async function openSearch(page, server, path = '/search') {
  await page.goto(server.url(path));
  await connected(page);
  await markDocument(page);
}

/** The search box's value, caret and focus. */
function box(page) {
  return page.locator(INPUT).evaluate((el) => ({
    value: el.value,
    start: el.selectionStart,
    end: el.selectionEnd,
    focused: el === document.activeElement,
  }));
}

/** Clicks into the empty search box and types `text` key by key. */
async function typeQuery(page, text, delay = TYPING) {
  const input = page.locator(INPUT);
  await input.click();
  await input.pressSequentially(text, { delay });
}

/** Selects everything in the (focused) search box and types `text` over it. */
async function retype(page, text, delay = TYPING) {
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text, { delay });
}

/** Asserts no console error and no uncaught page error so far. */
function assertNoConsoleErrors(logs) {
  const errors = [...logs.of('error'), ...logs.of('pageerror')];
  assert.deepEqual(errors, [], 'no console errors');
}

/** Asserts there is no error text anywhere on the page (flash, alert, summary). */
async function assertNoErrorText(page) {
  const text = await page.evaluate(() => ({
    flash: document.querySelector('#flash')?.textContent.trim() ?? '',
    alerts: [...document.querySelectorAll('[role="alert"], .error, .alert')].map((e) => e.textContent.trim()).filter(Boolean),
    summary: document.querySelector('#summary')?.textContent.trim() ?? '',
  }));
  assert.equal(text.flash, '', `no flash message: ${JSON.stringify(text)}`);
  assert.deepEqual(text.alerts, [], `no alert: ${JSON.stringify(text)}`);
  assert.doesNotMatch(text.summary, /error|fail|invalid|went wrong/i, 'the summary is no error');
}

// ---------------------------------------------------------------------------------------

describe('search', () => {
  const server = serverPerSuite();

  spec('typing_a_prefix_shows_results_while_typing_without_pressing_enter', server, async ({ page, server }) => {
    await openSearch(page, server);
    const input = page.locator(INPUT);
    await input.click();

    // One letter at a time, reading the results in between: each prefix brings its own.
    const counts = [];
    for (const prefix of ['z', 'zu', 'zur']) {
      await input.pressSequentially(prefix.at(-1), { delay: TYPING });
      const s = await waitForResults(page, prefix);
      assertResults(s, { word: prefix });
      assert.equal(s.value, prefix, 'the box holds what was typed');
      counts.push(s.summary);
    }

    const s = await shown(page);
    assertResults(s, { first: 'Zürich', word: 'zur' });
    assert.deepEqual(s.results[0].marks, ['Zür'], 'Zür is marked in Zürich');
    assert.equal(await page.locator(`${RESULT} >> nth=0 >> .name mark`).textContent(), 'Zür');
    assert.match(s.summary, /^[\d,]+ matches, the 20 largest shown$/, 'the count shows');
    assert.equal(s.results.length, 20);
    assert.match(s.results[0].where, /Switzerland/);
    assert.match(s.results[0].population, /^\d{1,3}(,\d{3})+$/, 'the population is shown with thousands separators');
    assert.notDeepEqual(counts[0], counts[2], 'the count follows the query');
    assert.equal((await box(page)).focused, true, 'the box keeps the focus');
    await assertNotReloaded(page);

    // Typed in one go at a normal pace, the results come after the last key, still without Enter.
    await retype(page, 'sao');
    assertResults(await waitForResults(page, 'sao'), { first: 'São Paulo', word: 'sao' });
    await assertNotReloaded(page);
  });

  spec('typing_in_the_middle_of_the_text_keeps_value_focus_and_caret_while_results_patch_in', server, async ({ page, server }) => {
    await openSearch(page, server);
    await typeQuery(page, 'zrich');
    await waitForResults(page, 'zrich');

    // Caret after the z, then the missing letter.
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    assert.deepEqual(await box(page), { value: 'zrich', start: 1, end: 1, focused: true }, 'the caret is after the z');
    await page.keyboard.type('u', { delay: TYPING });
    assert.deepEqual(await box(page), { value: 'zurich', start: 2, end: 2, focused: true }, 'right after typing');

    const s = await waitForResults(page, 'zurich');
    assertResults(s, { first: 'Zürich', word: 'zurich' });
    assert.deepEqual(await box(page), { value: 'zurich', start: 2, end: 2, focused: true }, 'after the results came in');

    // Home, then words in front: the caret stays after them when the results arrive.
    await retype(page, 'york');
    await waitForResults(page, 'york');
    await page.keyboard.press('Home');
    await page.keyboard.type('new ', { delay: TYPING });
    const n = await waitForResults(page, 'new york');
    assertResults(n, { first: 'New York City' });
    assert.deepEqual(await box(page), { value: 'new york', start: 4, end: 4, focused: true }, 'after the results came in');

    // And typing goes on from there.
    await page.keyboard.type('yo ', { delay: TYPING });
    assert.deepEqual(await box(page), { value: 'new yo york', start: 7, end: 7, focused: true }, 'typed at the caret');
    await waitForResults(page, 'new yo york');
    assert.deepEqual(await box(page), { value: 'new yo york', start: 7, end: 7, focused: true }, 'after the results came in');
    await assertNotReloaded(page);
  });

  spec('typing_on_quickly_after_results_arrived_loses_no_characters', server, async ({ page, server }) => {
    await openSearch(page, server);
    await typeQuery(page, 'new');
    assertResults(await waitForResults(page, 'new'), { word: 'new' });

    await page.keyboard.type(' york', { delay: 30 });
    assert.equal((await box(page)).value, 'new york', 'every key landed');
    const s = await waitForResults(page, 'new york');
    assertResults(s, { first: 'New York City' });
    assert.deepEqual(await box(page), { value: 'new york', start: 8, end: 8, focused: true });

    // Over other results, the whole thing quickly from scratch, with a typo put right.
    await retype(page, 'sao');
    await waitForResults(page, 'sao');
    await retype(page, 'new yorl', 30);
    await page.keyboard.press('Backspace');
    await page.keyboard.type('k', { delay: 30 });
    assert.equal((await box(page)).value, 'new york', 'every key landed');
    assertResults(await waitForResults(page, 'new york'), { first: 'New York City' });
    assert.deepEqual(await box(page), { value: 'new york', start: 8, end: 8, focused: true });
  });

  spec('typing_slower_than_the_debounce_loses_no_characters_while_each_key_brings_results', server, async ({ page, server }) => {
    await openSearch(page, server);
    // Just past the 300 ms debounce: every key is sent on its own, and its results land
    // around the time the next key is typed.
    await typeQuery(page, 'new york', 330);
    assert.equal((await box(page)).value, 'new york', 'every key landed');
    const s = await waitForResults(page, 'new york');
    assertResults(s, { first: 'New York City' });
    assert.deepEqual(await box(page), { value: 'new york', start: 8, end: 8, focused: true });
  });

  spec('an_empty_query_shows_no_results_and_no_error', server, async ({ page, server, logs }) => {
    await openSearch(page, server);
    const empty = await waitForResults(page, '');
    assert.equal(empty.value, '');
    assert.deepEqual(empty.results, []);
    assert.notEqual(empty.summary, 'No results', 'an empty query is not a search without match');
    await assertNoErrorText(page);

    // Searching for nothing with the button changes nothing.
    await page.locator(SEARCH).click();
    await connected(page);
    assert.deepEqual(await shown(page), empty);
    await assertNoErrorText(page);

    // Typing, then deleting everything, comes back to the same empty state.
    await typeQuery(page, 'zur');
    await waitForResults(page, 'zur');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    const cleared = await waitForResults(page, '');
    assert.deepEqual(cleared, empty, 'the same empty state as on arrival');
    assert.equal(new URL(page.url()).search, '', 'the URL is plain /search again');
    await assertNoErrorText(page);
    assertNoConsoleErrors(logs);
  });

  spec('a_query_without_match_says_no_results', server, async ({ page, server }) => {
    await openSearch(page, server);
    await typeQuery(page, 'qqqzzx');
    const s = await waitForResults(page, 'qqqzzx');
    assert.equal(s.summary, 'No results');
    assert.deepEqual(s.results, []);
    assert.equal(s.value, 'qqqzzx');
    await assertNoErrorText(page);
  });

  spec('the_url_follows_the_query_and_a_reload_restores_query_and_results', server, async ({ page, server }) => {
    await openSearch(page, server);
    await typeQuery(page, 'zur');
    const before = await waitForResults(page, 'zur');
    const url = new URL(page.url());
    assert.equal(`${url.pathname}${url.search}`, '/search?q=zur');
    await assertNotReloaded(page); // a live patch, not a navigation

    await page.reload();
    await connected(page);
    const after = await waitForResults(page, 'zur');
    assert.equal(after.value, 'zur', 'the box holds the query again');
    assert.deepEqual(after, before, 'the same results after the reload');

    // A link to a query opens with its results.
    await openSearch(page, server, `/search?q=${encodeURIComponent('new yo')}`);
    const linked = await waitForResults(page, 'new yo');
    assert.equal(linked.value, 'new yo');
    assertResults(linked, { first: 'New York City' });
  });

  /**
   * Types `zur`, then `sao` over it, then goes back and forward, checking URL, box and
   * results each time. `away`: what happens to the focus before each history step.
   */
  async function backAndForward(page, away = async () => {}) {
    await typeQuery(page, 'zur');
    const zur = await waitForResults(page, 'zur');
    await retype(page, 'sao');
    const sao = await waitForResults(page, 'sao');
    assertResults(sao, { first: 'São Paulo', word: 'sao' });

    await away();
    await page.goBack();
    const back = await waitForResults(page, 'zur');
    assertResults(back, { first: 'Zürich', word: 'zur' });
    assert.deepEqual(back.results, zur.results, 'the same results as the first time');
    assert.equal(back.value, 'zur', 'the box holds the first query');

    await away();
    await page.goForward();
    const forward = await waitForResults(page, 'sao');
    assert.deepEqual(forward.results, sao.results, 'the same results as the second time');
    assert.equal(forward.value, 'sao', 'the box holds the second query');

    await away();
    await page.goBack();
    await page.goBack();
    const start = await waitForResults(page, '');
    assert.equal(start.value, '', 'back at the start the box is empty');
    await assertNotReloaded(page);
  }

  spec('back_and_forward_restore_the_previous_queries', server, async ({ page, server }) => {
    await openSearch(page, server);
    // Done with typing, the person clicks the page's heading, then goes back and forward.
    await backAndForward(page, () => page.locator('h1').click());
  });

  spec(
    'back_and_forward_with_the_search_box_still_focused_put_the_previous_query_in_the_box',
    server,
    async ({ page, server }) => {
      await openSearch(page, server);
      // Alt+Left, the mouse's back button or the toolbar's: the box stays the page's
      // focused element.
      await backAndForward(page, async () => assert.equal((await box(page)).focused, true, 'the box has the focus'));
    },
  );

  spec('arrow_down_twice_selects_the_second_result_and_enter_opens_its_details', server, async ({ page, server }) => {
    await openSearch(page, server);
    await typeQuery(page, 'zur');
    const { results } = await waitForResults(page, 'zur');
    assert.equal(await page.locator(`${RESULT}.selected`).count(), 0, 'nothing is selected at first');

    await page.keyboard.press('ArrowDown');
    await page.locator(`${RESULT}.selected`).first().waitFor();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(
      (sel) => {
        const items = [...document.querySelectorAll(sel)];
        const on = items.filter((li) => li.classList.contains('selected'));
        return on.length === 1 && items.indexOf(on[0]) === 1;
      },
      RESULT,
      { timeout: WAIT_MS, polling: 'raf' },
    );
    const second = page.locator(`${RESULT} >> nth=1`);
    assert.equal(await second.getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator(`${RESULT}[aria-selected="true"]`).count(), 1, 'one result is selected');
    assert.equal(await page.locator(DETAILS).count(), 0, 'no details yet');
    const b = await box(page);
    assert.deepEqual([b.value, b.focused], ['zur', true], 'the box keeps its text and the focus');

    await page.keyboard.press('Enter');
    const details = page.locator(DETAILS);
    await details.waitFor({ state: 'visible' });
    assert.equal((await details.locator('h2').textContent()).trim(), results[1].name, 'the details are those of the second result');
    assert.notEqual(results[1].name, results[0].name);
    assert.match(await details.textContent(), new RegExp(results[1].population), 'the details show its population');
    assert.equal(new URL(page.url()).searchParams.get('q'), 'zur', 'the query is still in the URL');
    await assertNotReloaded(page);
  });

  spec('hostile_input_never_breaks_the_page', server, async ({ page, server, logs }) => {
    await openSearch(page, server);
    await typeQuery(page, 'zur');
    await waitForResults(page, 'zur');

    for (const text of ['"', '*', 'AND (', 'NEAR', '") OR 1=1 --', 'name:*zur*', '<b>zur</b>', '%00%', '\\']) {
      await retype(page, text);
      const s = await waitForResults(page, text);
      assert.equal(s.value, text, `the box holds ${JSON.stringify(text)}`);
      await connected(page);
      await assertNoErrorText(page);
    }
    assert.equal(await page.locator('#results b, #summary b').count(), 0, 'typed markup stays text');

    // A 10,000-character paste.
    const paste = 'Zürich "AND (NEAR* '.repeat(600).slice(0, 10_000);
    assert.equal(paste.length, 10_000);
    await page.locator(INPUT).fill(paste);
    const s = await waitForResults(page, paste);
    assert.equal(s.value, paste, 'the box holds the whole paste');
    await connected(page);
    await assertNoErrorText(page);

    // Still searching afterwards.
    await retype(page, 'zur');
    assertResults(await waitForResults(page, 'zur'), { first: 'Zürich', word: 'zur' });
    await connected(page);
    await assertNotReloaded(page);
    assertNoConsoleErrors(logs);
  });
});
