// Takes the screenshots for the docs: starts the demo app (temp database) and writes
//   screenshot-counter.png  /counter at 1000x640, + clicked twice;
//   screenshot-chat.png     /chat at 1200x800 as Ada, talking with Grace in a second
//                           browser context (both listed as online);
//   screenshot-users.png    /users/new at 1200x800: five users listed behind the New User
//                           modal, whose email field shows its validation error.
//
//   node screenshot.mjs [output-folder]      (default: ../../docs)

import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { launchBrowser, recordPage } from './browser.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = resolve(process.argv[2] || resolve(HERE, '../../docs'));
const WAIT_MS = 10_000;

const logs = [];

async function newPage(browser, label, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  logs.push([label, recordPage(page)]);
  return page;
}

/** Moves the mouse off the page's controls and lets transitions settle, then shoots. */
async function shoot(page, file) {
  await page.mouse.move(0, 0); // no hover highlight in the picture
  await page.waitForTimeout(300); // let the button transition settle
  const path = join(OUT_DIR, file);
  await page.screenshot({ path });
  console.log(`wrote ${path}`);
}

async function counter(browser, server) {
  const page = await newPage(browser, 'counter', { width: 1000, height: 640 });
  await page.goto(server.url('/counter'));
  await page.waitForSelector('[data-phx-main].phx-connected');
  for (const n of [1, 2]) {
    await page.locator('button[phx-click="increment"]:text-is("+")').click();
    await page.waitForFunction((want) => document.querySelector('h1')?.textContent.trim() === want, `Counter: ${n}`);
  }
  await shoot(page, 'screenshot-counter.png');
  await page.context().close();
}

// Short lines, so the whole conversation fits in the log at 1200x800 (no emoji: the
// headless machines that take the picture may have no emoji font).
const CONVERSATION = [
  ['Ada', 'Morning! Did the release build finish overnight?'],
  ['Grace', 'It did, all green.'],
  ['Ada', 'Trying the chat in two browsers: messages arrive instantly.'],
  ['Grace', 'Restart the server too, the page reconnects by itself.'],
  ['Ada', 'Just did. Nothing lost.'],
  ['Grace', 'Then it is ready for the demo!'],
];

async function chat(browser, server) {
  const viewport = { width: 1200, height: 800 };
  const pages = {};
  for (const name of ['Ada', 'Grace']) {
    const page = await newPage(browser, `chat ${name}`, viewport);
    await page.goto(server.url(`/chat?name=${name}`));
    await page.waitForSelector('[data-phx-main].phx-connected');
    pages[name] = page;
  }
  for (const [author, text] of CONVERSATION) {
    const input = pages[author].locator('#chat-form input[name="message"]');
    await input.click();
    await input.pressSequentially(text);
    await input.press('Enter');
    // Wait until both pages show it, so the order is the conversation's.
    for (const page of Object.values(pages)) {
      await page.waitForFunction(
        ([author, text]) =>
          [...document.querySelectorAll('#messages > .message')].some(
            (m) => m.querySelector('.author')?.textContent.trim() === author && m.querySelector('.body')?.textContent === text,
          ),
        [author, text],
      );
    }
  }
  const ada = pages.Ada;
  await ada.waitForFunction(() => document.querySelectorAll('#online li').length === 2);
  await ada.waitForFunction(() => document.querySelector('#chat-form input[name="message"]')?.value === '');
  await shoot(ada, 'screenshot-chat.png');
  for (const page of Object.values(pages)) await page.context().close();
}

const USERS = [
  ['Ada Lovelace', 'ada@analytical.engine'],
  ['Grace Hopper', 'grace@cobol.dev'],
  ['Alan Turing', 'alan@bletchley.park'],
  ['Katherine Johnson', 'katherine@nasa.gov'],
  ['Linus Torvalds', 'linus@kernel.org'],
];

async function users(browser, server) {
  for (const [name, email] of USERS) {
    const res = await fetch(server.url('/api/users'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { name, email, password: 'Secret-Password1' } }),
    });
    if (res.status !== 201) throw new Error(`POST /api/users ${email}: ${res.status} ${await res.text()}`);
  }
  const page = await newPage(browser, 'users', { width: 1200, height: 800 });
  await page.goto(server.url('/users'));
  await page.waitForSelector('[data-phx-main].phx-connected');
  await page.waitForFunction((n) => document.querySelectorAll('#users > tr').length === n, USERS.length);
  await page.locator('a[href="/users/new"]').click();
  await page.waitForSelector('#user-form');
  const field = (name) => page.locator(`#user-form input[name="user[${name}]"]`);
  await field('name').click();
  await field('name').pressSequentially('Margaret Hamilton');
  await field('email').click();
  await field('email').pressSequentially('margaret at apollo');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#user-form p.error')].map((p) => p.textContent.trim()).join('|') ===
    'must have the @ sign and no spaces',
  );
  await shoot(page, 'screenshot-users.png');
  await page.context().close();
}

const server = await startServer();
let browser;
try {
  browser = await launchBrowser();
  await counter(browser, server);
  await chat(browser, server);
  await users(browser, server);
} catch (e) {
  console.error(e);
  for (const [label, log] of logs) console.error(log.dump(`browser log (${label})`));
  console.error(server.logTail());
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  await server.dispose();
}
