// Launches the system Chromium through playwright-core (no browser downloads) and records
// what each page says in its console, so a failing test can print it.
//
//   const browser = await launchBrowser();
//   const { page, logs } = await openPage(browser);   // logs: console + page errors + sockets
//   ... on failure: console.error(logs.dump())

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const WAIT_MS = 10_000;

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A running log of one page: console messages, uncaught errors, websocket frames. */
export class PageLog {
  constructor() {
    this.start = Date.now();
    this.lines = [];
  }

  add(kind, text) {
    const t = ((Date.now() - this.start) / 1000).toFixed(3).padStart(7);
    this.lines.push(`${t}s ${kind.padEnd(9)} ${text}`);
  }

  /** Console messages of the given type ('error', 'warning', ...). */
  of(kind) {
    return this.lines.filter((l) => l.includes(` ${kind.padEnd(9)} `));
  }

  dump(title = 'page log') {
    return `----- ${title} (${this.lines.length} lines) -----\n${this.lines.join('\n')}\n-----`;
  }
}

/** Hooks a page's console, errors, navigations and websocket traffic into `log`. */
export function recordPage(page, log = new PageLog()) {
  page.on('console', (m) => {
    const loc = m.location();
    const where = loc && loc.url ? ` (${loc.url.replace(/^https?:\/\/[^/]+/, '')}:${loc.lineNumber})` : '';
    log.add(m.type(), m.text() + where);
  });
  page.on('pageerror', (e) => log.add('pageerror', e.stack || String(e)));
  page.on('requestfailed', (r) => log.add('reqfail', `${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) log.add('navigate', f.url());
  });
  page.on('websocket', (ws) => {
    log.add('ws-open', ws.url());
    ws.on('framesent', (f) => log.add('ws-sent', clip(f.payload)));
    ws.on('framereceived', (f) => log.add('ws-recv', clip(f.payload)));
    ws.on('socketerror', (e) => log.add('ws-error', String(e)));
    ws.on('close', () => log.add('ws-close', ws.url()));
  });
  return log;
}

function clip(payload) {
  const s = typeof payload === 'string' ? payload : `<${payload.length} bytes binary>`;
  return s.length > 400 ? `${s.slice(0, 400)}… (${s.length} chars)` : s;
}

/** A fresh context + page, recorded. `contextOptions` go to browser.newContext. */
export async function openPage(browser, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  const logs = recordPage(page);
  return { context, page, logs };
}
