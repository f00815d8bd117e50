// Test doubles: a WebSocket that records what the client sends, timers driven by hand,
// a sessionStorage, and a helper that mounts a joined LiveView on a container.
import { container } from './dom.js';
import { LiveView } from '../src/view.js';

export class FakeWebSocket {
  static instances = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closed = false;
    FakeWebSocket.instances.push(this);
  }
  static get last() {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }
  static reset() {
    FakeWebSocket.instances = [];
  }
  send(text) {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(text));
  }
  close(code) {
    this.closed = true;
    this.closeCode = code;
    this.readyState = 3;
  }
  // Server side of the fake:
  open() {
    this.readyState = 1;
    this.onopen && this.onopen({});
  }
  receive(frame) {
    this.onmessage && this.onmessage({ data: JSON.stringify(frame) });
  }
  serverClose(code = 1006) {
    this.readyState = 3;
    this.onclose && this.onclose({ code });
  }
  get lastSent() {
    return this.sent[this.sent.length - 1];
  }
}

export class FakeTimers {
  constructor() {
    this.now = 0;
    this.seq = 0;
    this.queue = [];
    this.timeouts = []; // every setTimeout delay asked for, in order
  }
  setTimeout(fn, ms = 0) {
    this.timeouts.push(ms);
    return this.add(fn, ms, null);
  }
  setInterval(fn, ms) {
    return this.add(fn, ms, ms);
  }
  add(fn, ms, every) {
    const id = ++this.seq;
    this.queue.push({ id, at: this.now + ms, fn, every });
    return id;
  }
  clearTimeout(id) {
    this.queue = this.queue.filter((t) => t.id !== id);
  }
  clearInterval(id) {
    this.clearTimeout(id);
  }
  /** Advances the clock by `ms`, running what falls due in order. */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = this.queue.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.now = due.at;
      if (due.every) due.at += due.every;
      else this.queue = this.queue.filter((t) => t !== due);
      due.fn();
    }
    this.now = end;
  }
  get pending() {
    return this.queue.length;
  }
}

export class FakeStorage {
  constructor() {
    this.map = new Map();
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
}

/**
 * A LiveView on a fresh container, connected through a FakeWebSocket and, unless
 * `join` is false, joined with `{"": html}`. Returns {view, root, ws, timers, ...}.
 */
let current = null;

export function mount(html, { join = true, random = () => 0.5, storage = new FakeStorage(), reloads = [] } = {}) {
  if (current) current.disconnect(); // one bound view at a time on the shared document
  FakeWebSocket.reset();
  const root = container(html, { 'data-phx-session': 'TOKEN' });
  const timers = new FakeTimers();
  const view = new LiveView(root, {
    WebSocket: FakeWebSocket,
    timers,
    random,
    storage,
    now: () => timers.now,
    reload: () => reloads.push(timers.now),
  });
  view.connect();
  current = view;
  const ws = FakeWebSocket.last;
  ws.open();
  if (join) ws.receive([ws.sent[0][0], { '': html }]);
  return { view, root, ws, timers, storage, reloads };
}

/** The frames sent after the join, without their refs. */
export const events = (ws) => ws.sent.slice(1).map(([, ...rest]) => rest);

/** Runs `fn` with console.warn captured; returns the warnings it printed. */
export const quietly = (fn) => {
  const warn = console.warn;
  const seen = [];
  console.warn = (...a) => seen.push(a.join(' '));
  try {
    fn();
  } finally {
    console.warn = warn;
  }
  return seen;
};
