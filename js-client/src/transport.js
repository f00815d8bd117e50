// The websocket transport (protocol §2, §3, §8): refs and replies, heartbeat, and
// reconnecting with exponential backoff. What the frames mean is the view's business.
// (Not the Rust `Socket`, which is a view's handle for effects.)

import { FRAME_HEARTBEAT } from './protocol.js';

export const HEARTBEAT_MS = 30000;
export const HEARTBEAT_TIMEOUT_MS = 10000;
export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 5000;
/** Close code of a client that is about to reconnect (§8): the server keeps the view for it. */
export const CLOSE_RECONNECTING = 4000;

/** The n-th reconnect delay (n from 0): drawn from the upper half of min(100·2^n, 5000) ms. */
export function backoff(n, random = Math.random) {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(n, 16));
  return Math.round(step / 2 + random() * (step / 2));
}

export class Transport {
  /**
   * @param {object} o
   * @param {() => string} o.url         the websocket URL, read at each connect
   * @param {Function} o.WebSocket       the constructor (injectable for tests)
   * @param {object} [o.timers]          setTimeout/clearTimeout/setInterval/clearInterval
   * @param {() => number} [o.random]
   * @param {() => void} [o.onOpen]
   * @param {(diff, meta, ref) => void} [o.onPush]   frames with ref 0 or no waiting reply
   * @param {(event) => void} [o.onClose]            the socket is lost (a reconnect follows)
   */
  constructor(o) {
    this.o = o;
    this.timers = o.timers || globalThis;
    this.random = o.random || Math.random;
    this.ws = null;
    this.ref = 0;
    this.replies = new Map();
    this.attempts = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.hbTimer = null;
    this.hbTimeout = null;
  }

  connect() {
    this.stopped = false;
    if (this.ws) return;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = new this.o.WebSocket(this.o.url());
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.hbTimer = this.timers.setInterval(() => this.heartbeat(), HEARTBEAT_MS);
      if (this.o.onOpen) this.o.onOpen();
    };
    ws.onmessage = (e) => {
      if (ws === this.ws) this.receive(e.data);
    };
    ws.onclose = (e) => {
      if (ws === this.ws) this.lost(e);
    };
    ws.onerror = () => {}; // a close event follows
  }

  get open() {
    return !!this.ws && this.ws.readyState === 1;
  }

  /** Sends `[ref, ...parts]`; `onReply(diff, meta)` gets the reply. Returns the ref, or 0 when not open. */
  send(parts, onReply) {
    if (!this.open) return 0;
    const ref = ++this.ref;
    if (onReply) this.replies.set(ref, onReply);
    this.ws.send(JSON.stringify([ref, ...parts]));
    return ref;
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (err) {
      console.warn('[liveview] unreadable frame', data);
      return;
    }
    if (!Array.isArray(frame) || !Number.isInteger(frame[0])) {
      console.warn('[liveview] unexpected frame', data);
      return;
    }
    const [ref, diff = null, meta = null] = frame;
    const reply = ref ? this.replies.get(ref) : null;
    if (reply) {
      this.replies.delete(ref);
      reply(diff, meta || {});
    } else if (this.o.onPush) {
      this.o.onPush(diff, meta || {}, ref);
    }
  }

  heartbeat() {
    if (this.hbTimeout !== null) return;
    const ref = this.send([FRAME_HEARTBEAT], () => {
      this.timers.clearTimeout(this.hbTimeout);
      this.hbTimeout = null;
    });
    if (!ref) return;
    this.hbTimeout = this.timers.setTimeout(() => {
      this.hbTimeout = null;
      this.restart();
    }, HEARTBEAT_TIMEOUT_MS);
  }

  /** A successful join: the next loss starts the backoff from its first step again. */
  resetBackoff() {
    this.attempts = 0;
  }

  /** Drops the current connection and reconnects after the backoff delay. */
  restart() {
    const ws = this.ws;
    if (!ws) return;
    try {
      ws.close(CLOSE_RECONNECTING);
    } catch (err) {
      /* already closing */
    }
    this.lost({ code: CLOSE_RECONNECTING, reason: 'restart' });
  }

  /** Connects now if a reconnect is waiting out its backoff (the network is back). */
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.attempts = 0;
    this.connect();
  }

  lost(event) {
    this.stopTimers();
    this.ws = null;
    this.replies.clear();
    if (this.o.onClose) this.o.onClose(event);
    if (!this.stopped && this.retryTimer === null) {
      const delay = backoff(this.attempts++, this.random);
      this.retryTimer = this.timers.setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.connect();
      }, delay);
    }
  }

  /** Closes for good (no reconnect). */
  stop() {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.stopTimers();
    this.ws = null;
    this.replies.clear();
    if (ws) {
      try {
        ws.close();
      } catch (err) {
        /* already closing */
      }
    }
  }

  stopTimers() {
    this.timers.clearInterval(this.hbTimer);
    this.timers.clearTimeout(this.hbTimeout);
    this.hbTimer = null;
    this.hbTimeout = null;
  }
}
