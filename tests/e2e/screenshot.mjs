// Takes the counter screenshot for the docs: starts the demo app, opens /counter at
// 1000x640, clicks + twice, and writes ../../docs/screenshot-counter.png.
//
//   node screenshot.mjs [output.png]

import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { launchBrowser, recordPage } from './browser.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = resolve(process.argv[2] || resolve(HERE, '../../docs/screenshot-counter.png'));
const WAIT_MS = 10_000;

const server = await startServer();
let browser;
let log;
try {
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  log = recordPage(page);

  await page.goto(server.url('/counter'));
  await page.waitForSelector('[data-phx-main].phx-connected');
  for (const n of [1, 2]) {
    await page.locator('button[phx-click="increment"]:text-is("+")').click();
    await page.waitForFunction((want) => document.querySelector('h1')?.textContent.trim() === want, `Counter: ${n}`);
  }
  await page.mouse.move(0, 0); // no hover highlight on the button in the picture
  await page.waitForTimeout(300); // let the button transition settle
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} catch (e) {
  console.error(e);
  if (log) console.error(log.dump('browser log'));
  console.error(server.logTail());
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  await server.dispose();
}
