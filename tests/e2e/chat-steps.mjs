// Steps on the chat screen (/chat) shared by the browser tests: the selectors of its
// contract (shared DEMO.md, chat section; ids and classes from demo-app/src/chat.rs) and
// waits that say what the page showed when they fail.

import assert from 'node:assert/strict';

import { connected, markDocument, WAIT_MS } from './suite.mjs';

export const MESSAGE = '#messages[phx-update="stream"] > .message';
export const FORM = 'form#chat-form[phx-submit="send"][phx-change="typing"]';
export const MESSAGE_INPUT = `${FORM} input[name="message"]`;
export const NAME_INPUT = `${FORM} input[name="name"]`;
export const SEND = `${FORM} button[type="submit"]:text-is("Send")`;
export const ERROR = 'p#chat-error';
export const ONLINE = '#online li';

/** Every message the page shows, oldest first. */
export function messages(page) {
  return page.$$eval(MESSAGE, (els) =>
    els.map((el) => ({
      id: el.id,
      author: el.querySelector('.author')?.textContent.trim(),
      body: el.querySelector('.body')?.textContent,
      mine: el.classList.contains('mine'),
    })),
  );
}

/** The names listed as online (the text of each `#online li`, without a tab count). */
export function online(page) {
  return page.$$eval(ONLINE, (lis) => lis.map((li) => li.firstChild?.textContent.trim()));
}

/**
 * Waits until the page shows a message by `author` reading exactly `body`; returns it as
 * `{ id, mine, time, count }` (count: how many such messages there are).
 */
export async function waitForMessage(page, { author, body }, timeout = WAIT_MS) {
  try {
    const found = await page.waitForFunction(
      ([sel, author, body]) => {
        const all = [...document.querySelectorAll(sel)].filter(
          (m) => m.querySelector('.author')?.textContent.trim() === author && m.querySelector('.body')?.textContent === body,
        );
        if (!all.length) return null;
        const el = all[0];
        return {
          id: el.id,
          mine: el.classList.contains('mine'),
          time: el.querySelector('time[datetime]')?.getAttribute('datetime') ?? null,
          count: all.length,
        };
      },
      [MESSAGE, author, body],
      { timeout, polling: 50 },
    );
    return await found.jsonValue();
  } catch (e) {
    e.message = `no message ${JSON.stringify({ author, body })} appeared; the page shows ${JSON.stringify(
      await messages(page).catch(() => '?'),
    )}: ${e.message}`;
    throw e;
  }
}

/** Waits until every name of `present` is listed as online and none of `absent` is. */
export async function waitForOnline(page, { present = [], absent = [] }, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(
      ([sel, present, absent]) => {
        const names = [...document.querySelectorAll(sel)].map((li) => li.firstChild?.textContent.trim());
        return present.every((n) => names.includes(n)) && !absent.some((n) => names.includes(n));
      },
      [ONLINE, present, absent],
      { timeout, polling: 50 },
    );
  } catch (e) {
    e.message = `online should list ${JSON.stringify(present)} and not ${JSON.stringify(absent)}, it lists ${JSON.stringify(
      await online(page).catch(() => '?'),
    )}: ${e.message}`;
    throw e;
  }
}

/** Opens /chat as `name` (through `?name=`), joined, and listed as online in its own page. */
export async function openChat(page, server, name) {
  await page.goto(server.url(`/chat?name=${encodeURIComponent(name)}`));
  await connected(page);
  assert.equal(await page.locator(NAME_INPUT).inputValue(), name, 'the name field holds the name from the URL');
  await waitForOnline(page, { present: [name] });
  await markDocument(page);
}

/**
 * Types `text` into the message field key by key and sends it with Enter (or, with
 * `{ click: true }`, the Send button).
 */
export async function say(page, text, { click = false } = {}) {
  const input = page.locator(MESSAGE_INPUT);
  await input.click();
  await input.pressSequentially(text);
  if (click) await page.locator(SEND).click();
  else await input.press('Enter');
}
