// The users screens (/users, /users/new, /users/<id>/edit, /users/<id>) in a real browser,
// against the release demo-app binary: two people in two browser contexts (separate
// cookies and sockets) watching one list, users made through the form and the JSON API.
// Contract: shared DEMO.md (Users section); ids and classes from demo-app/src/users.rs.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { assertNotReloaded, serverPerSuite, spec, WAIT_MS } from './suite.mjs';
import { createUser, openUsers, PASSWORD, ROW, ROWS, rows, waitForRow } from './users-steps.mjs';

const LIST = 'section.users';
const NEW_USER = `${LIST} a[href="/users/new"]:text-is("New User")`;
const MODAL = '.modal[role="dialog"]';
const FORM = 'form#user-form[phx-change="validate"][phx-submit="save"]';
const input = (field) => `${FORM} input[name="user[${field}]"]`;
const SAVE = `${FORM} button[type="submit"]:text-is("Save User")`;
const FLASH = '.flash';
const SEARCH = 'form#user-search input[name="q"]';
const DETAILS = 'section.user-details';
const BACKDROP = 'div#user-modal.modal-backdrop';
const CLOSE = `${MODAL} button.modal-close[aria-label="Close"]`;

// Every test talks to the same server (and database) as the others in its describe(), so
// each one uses names of its own: `people('ada', 'bob')` -> two { name, email } of run N.
// (The list shows 20 users a page and new rows land on the last page; a describe() makes
// far fewer than 20, so every test's users are on page 1.)
let run = 0;
function people(...names) {
  run += 1;
  return names.map((n) => ({ name: `${cap(n)} ${run}`, email: `${n}.${run}@example.com` }));
}
const cap = (s) => s[0].toUpperCase() + s.slice(1);

// ---------------------------------------------------------------------------------------
// Steps, written so the tests below read as the spec (the shared ones: users-steps.mjs).

/** `GET /api/users/<id>`: the stored user, or null (404). */
async function storedUser(server, id) {
  const res = await fetch(server.url(`/api/users/${id}`));
  if (res.status === 404) return null;
  assert.equal(res.status, 200, `GET /api/users/${id}`);
  return (await res.json()).data;
}

/** Waits until the list has no row `users-<id>`. */
async function waitForNoRow(page, id) {
  try {
    await page.waitForFunction((sel) => !document.querySelector(sel), `${ROWS} > tr#users-${id}`, {
      timeout: WAIT_MS,
      polling: 50,
    });
  } catch (e) {
    e.message = `row users-${id} is still listed: ${JSON.stringify(await rows(page).catch(() => '?'))}: ${e.message}`;
    throw e;
  }
}

/** Waits until the URL is `pathname` (and, when given, has exactly the `search` params). */
async function waitForPath(page, pathname, search) {
  try {
    await page.waitForURL(
      (url) =>
        url.pathname === pathname &&
        (search === undefined || JSON.stringify([...url.searchParams]) === JSON.stringify(Object.entries(search))),
      { timeout: WAIT_MS },
    );
  } catch (e) {
    e.message = `the URL should be ${pathname}${search ? ` with ${JSON.stringify(search)}` : ''}, it is ${page.url()}: ${e.message}`;
    throw e;
  }
}

/** The error shown next to the input `user[field]` (in its own field), or null. */
function errorOf(page, field) {
  return page.$eval(input(field), (el) => el.closest('.field')?.querySelector('p.error')?.textContent.trim() ?? null);
}

/** Waits until the field `user[field]` shows `message` next to it (null: no error). */
async function waitForError(page, field, message) {
  try {
    await page.waitForFunction(
      ([sel, message]) => {
        const el = document.querySelector(sel);
        const shown = el?.closest('.field')?.querySelector('p.error')?.textContent.trim() ?? null;
        return !!el && shown === message;
      },
      [input(field), message],
      { timeout: WAIT_MS, polling: 50 },
    );
  } catch (e) {
    e.message = `${field} should show ${JSON.stringify(message)}, it shows ${JSON.stringify(
      await errorOf(page, field).catch(() => '?'),
    )}: ${e.message}`;
    throw e;
  }
}

/** Types `text` key by key into `user[field]`, replacing what was there. */
async function typeInto(page, field, text) {
  const box = page.locator(input(field));
  await box.click();
  await box.press('Control+A');
  await box.press('Backspace');
  await box.pressSequentially(text);
}

/** After a save: back on /users?page=1, the modal gone and the flash saying `message`. */
async function assertSaved(page, message) {
  await waitForPath(page, '/users', { page: '1' });
  await page.locator(MODAL).waitFor({ state: 'detached' });
  await page.locator(FLASH, { hasText: message }).waitFor({ state: 'visible' });
  assert.equal((await page.locator(FLASH).textContent()).trim(), message);
  await page.locator(`${LIST} h1:text-is("Listing Users")`).waitFor({ state: 'visible' });
}

/** Clicks the link `text` of the row `users-<id>`. */
function clickRowLink(page, id, text) {
  return page.locator(`${ROWS} > tr#users-${id} td.actions a:text-is("${text}")`).click();
}

/**
 * Creates three users for a search of their own: Zelda and Quincy with a word unique to
 * this run (`tag`) in their names, Zed with it in his email only; Quincy's email alone ends
 * in `@search.example`. Returns { tag, ids: { zelda, quincy, zed }, zelda, quincy, zed }.
 */
async function searchable(server) {
  people(); // a run number of its own
  const tag = `r${run}x`;
  const users = {
    zelda: { name: `Zelda ${tag}`, email: `zelda.${run}@example.com` },
    quincy: { name: `Quincy ${tag}`, email: `quincy.${tag}@search.example` },
    zed: { name: `Zed Other${run}`, email: `zed.${tag}@elsewhere.example` },
  };
  const ids = {};
  for (const [key, user] of Object.entries(users)) ids[key] = (await createUser(server, user)).id;
  return { tag, ids, ...users };
}

/** Waits until the list shows exactly the rows of `ids` (numbers or `users-<id>`), in order unless anyOrder. */
async function waitForRowIds(page, ids, what, { anyOrder = false } = {}) {
  const want = ids.map((id) => (String(id).startsWith('users-') ? id : `users-${id}`));
  try {
    await page.waitForFunction(
      ([sel, want, anyOrder]) => {
        const shown = [...document.querySelectorAll(sel)].map((tr) => tr.id);
        if (anyOrder) shown.sort(), want.sort();
        return JSON.stringify(shown) === JSON.stringify(want);
      },
      [ROW, want, anyOrder],
      { timeout: WAIT_MS, polling: 50 },
    );
  } catch (e) {
    e.message = `${what}: the list should show ${JSON.stringify(want)}${anyOrder ? ' (any order)' : ''}, it shows ${JSON.stringify(
      await rows(page).catch(() => '?'),
    )}: ${e.message}`;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------

describe('users', () => {
  const server = serverPerSuite();

  spec('the_modal_opens_and_closes_through_js_commands_before_the_server_answers', server, async ({ page, server }) => {
    await openUsers(page, server);
    assert.equal(await page.locator(BACKDROP).isVisible(), false, 'no modal on the list');

    // The click shows the backdrop and starts its fade-in in the same task, so before any
    // frame from the server can arrive (the dialog itself is the server's).
    const opened = await page.evaluate(([newUser, backdrop, modal]) => {
      document.querySelector(newUser).click();
      const el = document.querySelector(backdrop);
      return { display: getComputedStyle(el).display, classes: [...el.classList], dialog: !!document.querySelector(modal) };
    }, [NEW_USER.replace(':text-is("New User")', ''), BACKDROP, MODAL]);
    assert.deepEqual(opened, { display: 'flex', classes: ['modal-backdrop', 'modal-enter', 'modal-enter-to'], dialog: false });
    await waitForPath(page, '/users/new');
    await page.locator(FORM).waitFor({ state: 'visible' });
    assert.equal(await page.locator(MODAL).getAttribute('aria-label'), 'New User');
    // The server's render inside it kept the backdrop shown, and the fade-in ends.
    await page.waitForFunction((sel) => document.querySelector(sel).className === 'modal-backdrop', BACKDROP, { timeout: WAIT_MS });
    assert.equal(await page.locator(BACKDROP).isVisible(), true);

    // Close hides it in the click's own task, while the dialog is still there; the patch
    // back to the list then removes the dialog.
    const closed = await page.evaluate(([close, backdrop, modal]) => {
      document.querySelector(close).click();
      return { display: getComputedStyle(document.querySelector(backdrop)).display, dialog: !!document.querySelector(modal) };
    }, [CLOSE, BACKDROP, MODAL]);
    assert.deepEqual(closed, { display: 'none', dialog: true });
    await waitForPath(page, '/users', { page: '1' });
    await page.locator(MODAL).waitFor({ state: 'detached' });
    assert.equal(await page.locator(BACKDROP).isVisible(), false);

    // Escape closes through the same commands (exec of data-cancel).
    await page.locator(NEW_USER).click();
    await page.locator(FORM).waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await waitForPath(page, '/users', { page: '1' });
    await page.locator(MODAL).waitFor({ state: 'detached' });
    assert.equal(await page.locator(BACKDROP).isVisible(), false);
    await assertNotReloaded(page);
  });

  spec(
    'new_user_opens_the_form_in_a_modal_validates_while_typing_and_the_saved_user_appears_in_every_browser',
    server,
    async ({ page: ada, server, newPage }) => {
      const [listed, created] = people('grace', 'new');
      const { page: bob } = await newPage('bob');
      const { id: listedId } = await createUser(server, listed);
      await openUsers(ada, server);
      await openUsers(bob, server);
      await ada.locator(`h1:text-is("Listing Users")`).waitFor();
      await waitForRow(ada, listedId, listed);

      // New User is a live patch: a new URL, the same document.
      await ada.locator(NEW_USER).click();
      await waitForPath(ada, '/users/new');
      await ada.locator(FORM).waitFor({ state: 'visible' });
      await assertNotReloaded(ada);
      assert.equal(await ada.locator(MODAL).getAttribute('aria-label'), 'New User');
      for (const field of ['name', 'email', 'password']) {
        assert.equal(await ada.locator(input(field)).inputValue(), '', `${field} starts empty`);
      }
      await ada.locator(SAVE).waitFor({ state: 'visible' });
      await waitForRow(ada, listedId, listed); // the list stays behind the modal

      // A bad email, typed key by key, is refused next to the field while typing.
      await typeInto(ada, 'email', 'grace at example');
      await waitForError(ada, 'email', 'must have the @ sign and no spaces');
      assert.equal(await ada.locator(input('email')).getAttribute('aria-invalid'), 'true', 'the email input is marked invalid');
      assert.equal(await ada.locator(input('email')).inputValue(), 'grace at example', 'the typed text is kept');

      // A short password too.
      await typeInto(ada, 'password', 'Short-1');
      await waitForError(ada, 'password', 'should be at least 12 character(s)');
      await waitForError(ada, 'email', 'must have the @ sign and no spaces'); // still shown

      // Fixing them clears the errors.
      await typeInto(ada, 'name', created.name);
      await typeInto(ada, 'email', created.email);
      await waitForError(ada, 'email', null);
      await typeInto(ada, 'password', PASSWORD);
      await waitForError(ada, 'password', null);
      await waitForError(ada, 'name', null);
      assert.equal(await ada.locator(`${FORM} p.error`).count(), 0, 'no error is left');

      await ada.locator(SAVE).click();
      await assertSaved(ada, 'User created successfully');
      await assertNotReloaded(ada);
      const rowsNow = await rows(ada);
      const mine = rowsNow.filter((r) => r.name === created.name && r.email === created.email);
      assert.equal(mine.length, 1, `the new user is listed once: ${JSON.stringify(rowsNow)}`);
      const id = Number(mine[0].id.replace(/^users-/, ''));
      assert.match(mine[0].id, /^users-\d+$/, 'the row has the stream id users-<id>');
      assert.equal(mine[0].confirmed, 'No', 'a new user is not confirmed');
      assert.equal((await storedUser(server, id))?.email, created.email, 'the user is stored');
      assert.equal(rowsNow.at(-1).id, mine[0].id, 'the newest user is listed last');

      // Bob's page shows it too, by itself.
      assert.deepEqual(await waitForRow(bob, id, created), { id: `users-${id}`, ...created, confirmed: 'No' });
      await assertNotReloaded(bob, "Bob's page");
      assert.equal(await bob.locator(MODAL).count(), 0, 'no modal opened in Bob\'s page');
      assert.equal(await bob.locator(FLASH).count(), 0, "the flash is only in Ada's page");
    },
    { label: 'ada' },
  );

  spec(
    'edit_opens_the_form_with_the_current_values_and_saving_updates_the_row_in_every_browser',
    server,
    async ({ page: ada, server, newPage }) => {
      const [before, after] = people('linus', 'lin');
      const { page: bob } = await newPage('bob');
      const { id } = await createUser(server, before);
      await openUsers(ada, server);
      await openUsers(bob, server);
      await waitForRow(ada, id, before);
      await waitForRow(bob, id, before);

      await clickRowLink(ada, id, 'Edit');
      await waitForPath(ada, `/users/${id}/edit`);
      await ada.locator(FORM).waitFor({ state: 'visible' });
      await assertNotReloaded(ada);
      assert.equal(await ada.locator(MODAL).getAttribute('aria-label'), 'Edit User');
      assert.equal(await ada.locator(input('name')).inputValue(), before.name, 'the form holds the name');
      assert.equal(await ada.locator(input('email')).inputValue(), before.email, 'the form holds the email');
      assert.equal(await ada.locator(input('password')).count(), 0, 'no password field when editing');
      assert.equal(await ada.locator(`${FORM} p.error`).count(), 0, 'no error before typing');

      await typeInto(ada, 'name', after.name);
      await typeInto(ada, 'email', after.email);
      await waitForError(ada, 'email', null);
      await ada.locator(SAVE).click();

      await assertSaved(ada, 'User updated successfully');
      await assertNotReloaded(ada);
      for (const [who, page] of [['ada', ada], ['bob', bob]]) {
        await waitForRow(page, id, after);
        const same = (await rows(page)).filter((r) => r.id === `users-${id}` || r.email === before.email);
        assert.equal(same.length, 1, `${who}: the row was updated in place, not added`);
      }
      await assertNotReloaded(bob, "Bob's page");
      const stored = await storedUser(server, id);
      assert.deepEqual([stored.name, stored.email], [after.name, after.email], 'the change is stored');

      // Opening the edit form again shows the new values.
      await clickRowLink(ada, id, 'Edit');
      await waitForPath(ada, `/users/${id}/edit`);
      await ada.locator(FORM).waitFor({ state: 'visible' });
      assert.equal(await ada.locator(input('name')).inputValue(), after.name);
      assert.equal(await ada.locator(input('email')).inputValue(), after.email);
    },
    { label: 'ada' },
  );

  spec(
    'delete_asks_first_cancelling_keeps_the_row_and_confirming_removes_it_in_every_browser',
    server,
    async ({ page: ada, server, newPage, logs }) => {
      const [doomed, kept] = people('doomed', 'kept');
      const { page: bob } = await newPage('bob');
      const { id } = await createUser(server, doomed);
      const { id: keptId } = await createUser(server, kept);
      await openUsers(ada, server);
      await openUsers(bob, server);
      await waitForRow(ada, id, doomed);
      await waitForRow(bob, id, doomed);
      const url = ada.url();

      // Cancel: the row stays, nothing is sent.
      const asked = new Promise((resolve) =>
        ada.once('dialog', async (d) => {
          resolve({ type: d.type(), message: d.message() });
          await d.dismiss();
        }),
      );
      await clickRowLink(ada, id, 'Delete');
      assert.deepEqual(await asked, { type: 'confirm', message: 'Are you sure?' });
      await ada.evaluate(() => 0); // the click handler has finished
      assert.deepEqual(
        logs.of('ws-sent').filter((l) => l.includes('delete')),
        [],
        'no delete event was sent after cancelling',
      );
      assert.equal(ada.url(), url, 'the URL did not change (no "#")');
      assert.ok(await storedUser(server, id), 'the user is still stored');
      await waitForRow(ada, id, doomed);
      await waitForRow(bob, id, doomed);

      // Accept: the row goes, in both browsers; the other row stays.
      let dialogs = 0;
      ada.once('dialog', (d) => {
        dialogs += 1;
        d.accept();
      });
      await clickRowLink(ada, id, 'Delete');
      await waitForNoRow(ada, id);
      await waitForNoRow(bob, id);
      assert.equal(dialogs, 1, 'asked once');
      assert.equal(await storedUser(server, id), null, 'the user is gone from the database');
      await ada.locator(FLASH, { hasText: 'User deleted successfully' }).waitFor({ state: 'visible' });
      for (const [who, page] of [['ada', ada], ['bob', bob]]) {
        await waitForRow(page, keptId, kept);
        await assertNotReloaded(page, `${who}'s page`);
      }
    },
    { label: 'ada' },
  );

  spec('a_user_created_through_the_json_api_appears_in_an_open_list_without_reload', server, async ({ page, server }) => {
    const [api] = people('api');
    await openUsers(page, server);
    const before = await rows(page);

    const { id } = await createUser(server, api);

    const row = await waitForRow(page, id, api);
    assert.equal(row.confirmed, 'No');
    await assertNotReloaded(page);
    const after = await rows(page);
    assert.deepEqual(
      after.map((r) => r.id),
      [...before.map((r) => r.id), `users-${id}`],
      'only the new row was added, at the end',
    );
  });

  spec(
    'show_goes_to_the_users_details_and_browser_back_returns_to_the_list_with_its_rows',
    server,
    async ({ page, server }) => {
      const [shown] = people('shown');
      const { id } = await createUser(server, shown);
      await openUsers(page, server);
      await waitForRow(page, id, shown);
      const listed = await rows(page);

      await clickRowLink(page, id, 'Show');
      await waitForPath(page, `/users/${id}`);
      await page.locator(DETAILS).waitFor({ state: 'visible' });
      await assertNotReloaded(page);
      assert.equal((await page.locator(`${DETAILS} h1`).textContent()).trim(), shown.name);
      const details = await page.$$eval(`${DETAILS} dt`, (dts) =>
        Object.fromEntries(dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling?.textContent.trim()])),
      );
      assert.equal(details.Email, shown.email, `the details show the email: ${JSON.stringify(details)}`);
      assert.equal(details.Confirmed, 'No');
      assert.equal(details.Admin, 'No');
      assert.ok(details.Created, 'the details show when the user was created');
      assert.equal(await page.locator(LIST).isVisible(), false, 'the list is not shown with the details');

      await page.goBack();
      await waitForPath(page, '/users');
      await page.locator(`${LIST} h1:text-is("Listing Users")`).waitFor({ state: 'visible' });
      await page.locator(DETAILS).waitFor({ state: 'detached' });
      await assertNotReloaded(page);
      await waitForRow(page, id, shown);
      assert.deepEqual(await rows(page), listed, 'the list has the same rows as before');

      // The user's name in the row goes to the details as well.
      await page.locator(`${ROWS} > tr#users-${id} td:first-child a`).click();
      await waitForPath(page, `/users/${id}`);
      await page.locator(`${DETAILS} h1:text-is("${shown.name}")`).waitFor({ state: 'visible' });
      await assertNotReloaded(page);
    },
  );

  spec('the_search_box_filters_the_rows_by_name_or_email_while_typing', server, async ({ page, server }) => {
    const { tag, ids, zed } = await searchable(server);
    await openUsers(page, server);
    await waitForRow(page, ids.zed, zed);
    const all = (await rows(page)).map((r) => r.id);

    const box = page.locator(SEARCH);
    // By name (two users have the tag in their names, Zed in his email only).
    await box.click();
    await box.pressSequentially(`Zelda ${tag}`);
    await waitForRowIds(page, [ids.zelda], 'searching a name');
    await waitForPath(page, '/users', { page: '1', q: `Zelda ${tag}` });
    assert.equal(await box.inputValue(), `Zelda ${tag}`, 'the box keeps the typed text');
    assert.equal(await box.evaluate((el) => el === document.activeElement), true, 'the box keeps the focus');

    // By email.
    await box.press('Control+A');
    await box.pressSequentially('@search.example');
    await waitForRowIds(page, [ids.quincy], 'searching an email');
    await waitForPath(page, '/users', { page: '1', q: '@search.example' });

    // A word in two names and one email: every match (their order: the next test).
    await box.press('Control+A');
    await box.pressSequentially(tag);
    await waitForRowIds(page, [ids.zelda, ids.quincy, ids.zed], 'searching a word in two names and one email', { anyOrder: true });

    // No match: no rows.
    await box.pressSequentially('-nobody');
    await waitForRowIds(page, [], 'searching something nobody has');

    // Clearing the box lists everyone again.
    await box.press('Control+A');
    await box.press('Backspace');
    await waitForRowIds(page, all, 'an empty search', { anyOrder: true });
    await waitForPath(page, '/users', { page: '1' });
    await assertNotReloaded(page);
  });

  spec(
    'a_search_lists_its_matches_in_the_list_order_even_when_some_were_already_shown',
    server,
    async ({ page, server }) => {
      const { tag, ids, zed } = await searchable(server);
      await openUsers(page, server);
      await waitForRow(page, ids.zed, zed);
      const box = page.locator(SEARCH);
      await box.click();
      await box.pressSequentially(zed.name); // Zed only (the newest of the three) ...
      await waitForRowIds(page, [ids.zed], 'searching Zed');
      await box.press('Control+A');
      await box.pressSequentially(tag); // ... then all three: listed by id, like the server sends them
      await waitForRowIds(page, [ids.zelda, ids.quincy, ids.zed], 'searching all three after Zed alone');
    },
  );
});
