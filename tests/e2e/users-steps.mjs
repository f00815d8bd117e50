// Steps on the users screens (/users, /api/users) shared by the browser tests: the list's
// selectors (shared DEMO.md, Users section; ids from demo-app/src/users.rs), users made
// through the JSON API, and waits that say what the page showed when they fail.

import assert from 'node:assert/strict';

import { connected, markDocument, WAIT_MS } from './suite.mjs';

export const ROWS = 'tbody#users[phx-update="stream"]';
export const ROW = `${ROWS} > tr`;
export const PASSWORD = 'Secret-Password1';

/** Creates a user through `POST /api/users`; returns the stored user (with its id). */
export async function createUser(server, { name, email, password = PASSWORD }) {
  const res = await fetch(server.url('/api/users'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: { name, email, password } }),
  });
  const body = await res.text();
  assert.equal(res.status, 201, `POST /api/users ${email}: ${body}`);
  const { data } = JSON.parse(body);
  assert.equal(res.headers.get('location'), `/api/users/${data.id}`);
  return data;
}

/** Opens `path` (default /users), joined, with a marker that only a reload would lose. */
export async function openUsers(page, server, path = '/users') {
  await page.goto(server.url(path));
  await connected(page);
  await markDocument(page);
}

/** Every row the list shows, in order: { id, name, email, confirmed }. */
export function rows(page) {
  return page.$$eval(ROW, (trs) =>
    trs.map((tr) => {
      const [name, email, confirmed] = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
      return { id: tr.id, name, email, confirmed };
    }),
  );
}

/** Waits until the row `users-<id>` is shown once, with `name` and `email`; returns it. */
export async function waitForRow(page, id, { name, email }) {
  try {
    const found = await page.waitForFunction(
      ([sel, id, name, email]) => {
        const all = [...document.querySelectorAll(sel)].filter((tr) => tr.id === id);
        if (all.length !== 1) return null;
        const [n, e, c] = [...all[0].querySelectorAll('td')].map((td) => td.textContent.trim());
        return n === name && e === email ? { id, name: n, email: e, confirmed: c } : null;
      },
      [ROW, `users-${id}`, name, email],
      { timeout: WAIT_MS, polling: 50 },
    );
    return await found.jsonValue();
  } catch (e) {
    e.message = `no row users-${id} ${JSON.stringify({ name, email })}; the list shows ${JSON.stringify(
      await rows(page).catch(() => '?'),
    )}: ${e.message}`;
    throw e;
  }
}

