// The chat screen (/chat) in a real browser, against the release demo-app binary: two
// people in two browser contexts (separate cookies and sockets) talking to one server.
// Contract: shared DEMO.md (chat section); ids and classes from demo-app/src/chat.rs.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { assertNotReloaded, connected, RECONNECT_MS, serverPerSuite, spec, waitForState, WAIT_MS } from './suite.mjs';
import {
  ERROR,
  MESSAGE_INPUT,
  messages,
  NAME_INPUT,
  online,
  ONLINE,
  openChat,
  say,
  waitForMessage,
  waitForOnline,
} from './chat-steps.mjs';

// Every test talks to the same server (and database) as the others in its describe(), so
// each one uses names and texts of its own: `people('ada', 'bob')` -> ['ada-3', 'bob-3'].
let run = 0;
function people(...names) {
  run += 1;
  return names.map((n) => `${n}-${run}`);
}
const said = (what) => `${what} (#${run})`;

// ---------------------------------------------------------------------------------------
// Steps, written so the tests below read as the spec (the shared ones: chat-steps.mjs).

/** Waits until `name` is listed once as online, with `×tabs` after it when tabs > 1. */
async function waitForTabs(page, name, tabs) {
  try {
    await page.waitForFunction(
      ([sel, name, tabs]) => {
        const items = [...document.querySelectorAll(sel)].filter((li) => li.firstChild?.textContent.trim() === name);
        if (items.length !== 1) return false;
        const count = items[0].querySelector('.tabs')?.textContent.trim();
        return tabs > 1 ? count === `×${tabs}` : count === undefined;
      },
      [ONLINE, name, tabs],
      { timeout: WAIT_MS, polling: 50 },
    );
  } catch (e) {
    const shown = await page.$$eval(ONLINE, (lis) => lis.map((li) => li.textContent)).catch(() => '?');
    e.message = `online should list ${name} once with ${tabs} tab(s), it shows ${JSON.stringify(shown)}: ${e.message}`;
    throw e;
  }
}

/** Waits until the message field is empty (the server's reply to the send clears it). */
async function waitForEmptyInput(page) {
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === '', MESSAGE_INPUT, {
    timeout: WAIT_MS,
    polling: 50,
  });
}

/** Asserts that the messages of `after` are those of `before` plus exactly `added`. */
function assertOnlyAdded(before, after, added, who) {
  const ids = (list) => list.map((m) => m.id);
  assert.deepEqual(ids(after), [...ids(before), ...added.map((m) => m.id)], `${who}: only ${JSON.stringify(added)} was added`);
}

// ---------------------------------------------------------------------------------------

/** Ada on `ada`'s page and Bob in a second browser, both in the chat: their names and Bob's page. */
async function adaAndBob(ada, server, newPage) {
  const [A, B] = people('ada', 'bob');
  const { page: bob } = await newPage('bob');
  await openChat(ada, server, A);
  await openChat(bob, server, B);
  return { A, B, bob };
}

describe('chat', () => {
  const server = serverPerSuite();

  spec(
    'a_message_typed_in_one_browser_appears_in_the_other_without_reload_with_its_author',
    server,
    async ({ page: ada, server, newPage }) => {
      const { A, B, bob } = await adaAndBob(ada, server, newPage);

      const text = said('Hello Bob, can you read this?');
      await say(ada, text);

      const seen = await waitForMessage(bob, { author: A, body: text });
      assert.match(seen.id, /^messages-\d+$/, 'the message element has the stream id messages-<id>');
      assert.ok(seen.time, 'the message shows a <time datetime>');
      assert.equal(seen.count, 1, 'the message is shown once');
      const own = await waitForMessage(ada, { author: A, body: text });
      assert.equal(own.id, seen.id, 'both pages show the same stored message');
      await assertNotReloaded(bob);
      await assertNotReloaded(ada);
    },
    { label: 'ada' },
  );

  spec(
    'after_sending_the_message_field_is_empty_and_keeps_the_focus',
    server,
    async ({ page, server }) => {
      const [A] = people('ada');
      await openChat(page, server, A);
      const input = page.locator(MESSAGE_INPUT);

      const first = said('first line');
      await say(page, first);
      await waitForMessage(page, { author: A, body: first });
      await waitForEmptyInput(page);
      assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'the message field keeps the focus');

      // So the next message can be typed straight away, without clicking the field.
      const second = said('second line, typed without clicking');
      await page.keyboard.type(second);
      await page.keyboard.press('Enter');
      await waitForMessage(page, { author: A, body: second });
      await waitForEmptyInput(page);
      assert.equal(await input.evaluate((el) => el === document.activeElement), true, 'still focused after the second');
    },
  );

  spec(
    'own_messages_are_marked_mine_and_the_others_are_not',
    server,
    async ({ page: ada, server, newPage }) => {
      const { A, B, bob } = await adaAndBob(ada, server, newPage);

      const fromAda = said('from Ada');
      await say(ada, fromAda);
      await waitForMessage(bob, { author: A, body: fromAda });
      const fromBob = said('from Bob, sent with the button');
      await say(bob, fromBob, { click: true });

      assert.equal((await waitForMessage(ada, { author: A, body: fromAda })).mine, true, "Ada's own message is mine for Ada");
      assert.equal((await waitForMessage(ada, { author: B, body: fromBob })).mine, false, "Bob's message is not mine for Ada");
      assert.equal((await waitForMessage(bob, { author: B, body: fromBob })).mine, true, "Bob's own message is mine for Bob");
      assert.equal((await waitForMessage(bob, { author: A, body: fromAda })).mine, false, "Ada's message is not mine for Bob");
    },
    { label: 'ada' },
  );

  spec(
    'an_empty_or_blank_message_is_refused_with_a_visible_error_and_nothing_is_sent',
    server,
    async ({ page: ada, server, newPage }) => {
      const { A, B, bob } = await adaAndBob(ada, server, newPage);
      const before = { ada: await messages(ada), bob: await messages(bob) };
      const input = ada.locator(MESSAGE_INPUT);
      const error = ada.locator(ERROR);
      assert.equal(await error.count(), 0, 'no error before sending');

      // Empty.
      await input.click();
      await input.press('Enter');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /Message can't be blank/);

      // Typing clears the error ...
      await input.pressSequentially('x');
      await error.waitFor({ state: 'detached' });
      // ... and whitespace only is refused like empty.
      await input.press('Backspace');
      await input.pressSequentially('   ');
      await input.press('Enter');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), /Message can't be blank/);
      assert.equal(await bob.locator(ERROR).count(), 0, "the error is only in the sender's page");

      // Nothing was sent: a real message sent after the refused ones is the only new one in
      // both pages (messages reach every page in the order they were sent).
      await input.press('Control+A');
      const real = said('this one is real');
      await input.pressSequentially(real);
      await input.press('Enter');
      const atBob = await waitForMessage(bob, { author: A, body: real });
      await waitForMessage(ada, { author: A, body: real });
      await error.waitFor({ state: 'detached' });
      assertOnlyAdded(before.bob, await messages(bob), [atBob], 'bob');
      assertOnlyAdded(before.ada, await messages(ada), [atBob], 'ada');
    },
    { label: 'ada' },
  );

  spec(
    'html_typed_into_a_message_shows_as_text',
    server,
    async ({ page: ada, server, newPage }) => {
      const { A, B, bob } = await adaAndBob(ada, server, newPage);

      const html = said(
        '<b id="e2e-injected">bold</b> <img src="x" onerror="window.__e2eInjected = 1"> ' +
          '<script>window.__e2eInjected = 2</script> &amp; &lt;',
      );
      await say(ada, html, { click: true });

      for (const [who, page] of [['ada', ada], ['bob', bob]]) {
        const { id } = await waitForMessage(page, { author: A, body: html });
        const body = page.locator(`[id="${id}"] .body`);
        assert.equal(await body.textContent(), html, `${who}: the body reads exactly what was typed`);
        assert.equal(await body.evaluate((el) => el.childElementCount), 0, `${who}: the body holds text only`);
        assert.equal(await page.locator('#e2e-injected').count(), 0, `${who}: no element was injected`);
        assert.equal(await page.locator('#messages img, #messages script, #messages b').count(), 0, `${who}: no markup in the log`);
        assert.equal(await page.evaluate(() => window.__e2eInjected), undefined, `${who}: no injected script ran`);
      }
    },
    { label: 'ada' },
  );

  spec(
    'everyone_online_is_listed_in_every_page',
    server,
    async ({ page: ada, server, newPage }) => {
      const { A, B, bob } = await adaAndBob(ada, server, newPage);

      await waitForOnline(ada, { present: [A, B] });
      await waitForOnline(bob, { present: [A, B] });
      await assertNotReloaded(ada); // Bob showed up in Ada's page by itself

      for (const [page, me, other] of [[ada, A, B], [bob, B, A]]) {
        const names = await online(page);
        assert.equal(names.filter((n) => n === me).length, 1, `${me} is listed once in their page`);
        assert.equal(names.filter((n) => n === other).length, 1, `${other} is listed once in ${me}'s page`);
        const classes = await page.$$eval(
          ONLINE,
          (lis, name) => lis.filter((li) => li.firstChild?.textContent.trim() === name).map((li) => [...li.classList]),
          me,
        );
        assert.deepEqual(classes, [['me']], `${me}'s own entry (and only it) is marked me`);
        const others = await page.$$eval(ONLINE, (lis, name) => lis.filter((li) => li.firstChild?.textContent.trim() === name && li.classList.contains('me')).length, other);
        assert.equal(others, 0, `${other}'s entry is not marked me in ${me}'s page`);
        // The count covers everyone: the names listed plus a "+N more" past the first few.
        const summary = await page.$eval('#online', (el) => ({
          count: el.querySelector('.online-count')?.textContent.trim(),
          listed: el.querySelectorAll('li:not(.more)').length,
          more: Number(el.querySelector('li.more')?.textContent.match(/\d+/)?.[0] ?? 0),
        }));
        assert.equal(summary.count, `${summary.listed + summary.more} online`, `the count covers everyone: ${JSON.stringify(summary)}`);
      }
    },
    { label: 'ada' },
  );

  spec(
    'closing_a_tab_removes_its_name_from_the_other_page',
    server,
    async ({ page: ada, server, newPage }) => {
      const [A, B] = people('ada', 'bob');
      const { page: bob, context: bobsBrowser } = await newPage('bob');
      await openChat(ada, server, A);
      await openChat(bob, server, B);
      await waitForOnline(ada, { present: [A, B] });

      await bobsBrowser.close();

      await waitForOnline(ada, { present: [A], absent: [B] });
      await assertNotReloaded(ada);
    },
    { label: 'ada' },
  );

  spec(
    'two_tabs_with_the_same_name_are_listed_once_until_both_are_closed',
    server,
    async ({ page: bob, server, newPage }) => {
      const [A, B] = people('ada', 'bob');
      const { page: ada1, context: tab1 } = await newPage('ada tab 1');
      const { page: ada2, context: tab2 } = await newPage('ada tab 2');
      await openChat(bob, server, B);
      await openChat(ada1, server, A);
      await openChat(ada2, server, A);

      await waitForOnline(bob, { present: [A, B] });
      await waitForTabs(bob, A, 2);
      assert.equal((await online(bob)).filter((n) => n === A).length, 1, `${A} is listed once`);

      await tab1.close();
      await waitForTabs(bob, A, 1); // still online in the other tab
      assert.equal((await online(bob)).filter((n) => n === A).length, 1, `${A} is listed once`);

      await tab2.close();
      await waitForOnline(bob, { present: [B], absent: [A] });
    },
    { label: 'bob' },
  );

  spec(
    'a_reload_keeps_the_chosen_name',
    server,
    async ({ page, server }) => {
      const [G] = people('grace');
      await page.goto(server.url('/chat'));
      await connected(page);
      const nameInput = page.locator(NAME_INPUT);
      const guest = await nameInput.inputValue();
      assert.match(guest, /^guest-\d{4}$/, 'without a name one is made up');

      await nameInput.click();
      await nameInput.press('Control+A');
      await nameInput.pressSequentially(G);
      // The page puts the name in its URL once the server took it.
      await page.waitForURL((url) => url.pathname === '/chat' && url.searchParams.get('name') === G);
      await waitForOnline(page, { present: [G], absent: [guest] });

      await page.reload();

      await connected(page);
      assert.equal(await nameInput.inputValue(), G, 'the name field still holds the chosen name');
      await waitForOnline(page, { present: [G], absent: [guest] });
      const text = said('still me after the reload');
      await say(page, text);
      const own = await waitForMessage(page, { author: G, body: text });
      assert.equal(own.mine, true, 'a message sent after the reload is mine');
    },
  );
});

describe('chat across a server restart', () => {
  const server = serverPerSuite();

  spec(
    'messages_survive_a_server_restart_and_the_pages_reconnect_by_themselves',
    server,
    async ({ page: ada, server, newPage, logs }) => {
      const [A, B, C] = people('ada', 'bob', 'cy');
      const { page: bob } = await newPage('bob');
      await openChat(ada, server, A);
      await openChat(bob, server, B);
      const before = said('written before the restart');
      await say(ada, before);
      const { id } = await waitForMessage(bob, { author: A, body: before });

      const { forced } = await server.stop();
      logs.add('e2e', `server stopped${forced ? ' (needed SIGKILL)' : ''}`);
      await waitForState(ada, 'phx-error');
      await waitForState(bob, 'phx-error');
      await ada.locator('.reconnecting').waitFor({ state: 'visible' });

      await server.restart();
      logs.add('e2e', 'server restarted');

      for (const [page, me] of [[ada, A], [bob, B]]) {
        await connected(page, RECONNECT_MS);
        await page.locator('.reconnecting').waitFor({ state: 'hidden' });
        await assertNotReloaded(page);
        assert.equal(await page.locator(NAME_INPUT).inputValue(), me, `${me} keeps their name`);
        const kept = await waitForMessage(page, { author: A, body: before });
        assert.deepEqual([kept.id, kept.count], [id, 1], `${me}: the message is still there, once`);
        assert.equal(kept.mine, me === A, `${me}: still marked mine only for its author`);
      }

      // A page opened after the restart reads it from the database.
      const { page: cy } = await newPage('cy');
      await openChat(cy, server, C);
      assert.equal((await waitForMessage(cy, { author: A, body: before })).id, id, 'a new page shows the stored message');

      // The rejoined pages are live again: messages and presence reach them.
      await waitForOnline(ada, { present: [A, B, C] });
      const after = said('written after the restart');
      await say(bob, after);
      await waitForMessage(ada, { author: B, body: after });
      await waitForMessage(cy, { author: B, body: after });
    },
    { label: 'ada' },
  );
});
