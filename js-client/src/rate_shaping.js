// Rate shaping of bindings (protocol §5): phx-debounce and phx-throttle, per element and
// event kind. The timer functions are injectable for tests. (Not the server's rate limit,
// rate_limit.rs, which is a token bucket over incoming events.)

import { DEBOUNCE_BLUR } from './protocol.js';

export class RateShaper {
  constructor(timers = globalThis) {
    this.timers = timers;
    /** @type {Map<Element, Map<string, {timer: any, fn: Function|null, throttle: boolean}>>} */
    this.pending = new Map();
  }

  /**
   * Runs `fn` now or later. `debounce` is a number of ms, or "blur" (run on `flushEl`);
   * `throttle` runs at once, then at most once per period; with `trailing`, a call made
   * during the period runs at its end (so the last value of an input is not lost).
   */
  run(el, kind, fn, { debounce = null, throttle = null, trailing = false } = {}) {
    const d = debounce === DEBOUNCE_BLUR ? DEBOUNCE_BLUR : ms(debounce);
    const t = ms(throttle);
    if (d === null && t === null) return fn();
    const entries = this.pending.get(el) || new Map();
    this.pending.set(el, entries);
    let entry = entries.get(kind);
    if (d !== null) {
      if (entry) this.timers.clearTimeout(entry.timer);
      entry = { fn, throttle: false, timer: d === DEBOUNCE_BLUR ? null : this.timers.setTimeout(() => this.fire(el, kind), d) };
      entries.set(kind, entry);
      return;
    }
    if (entry) {
      if (trailing) entry.fn = fn;
      return;
    }
    entries.set(kind, { fn: null, throttle: true, timer: this.timers.setTimeout(() => this.fire(el, kind), t) });
    fn();
  }

  fire(el, kind) {
    const entries = this.pending.get(el);
    const entry = entries && entries.get(kind);
    if (!entry) return;
    this.timers.clearTimeout(entry.timer);
    entries.delete(kind);
    if (!entries.size) this.pending.delete(el);
    if (entry.fn) entry.fn();
  }

  /** Runs now whatever is waiting on `el` (on blur). */
  flushEl(el) {
    const entries = this.pending.get(el);
    if (entries) for (const kind of Array.from(entries.keys())) this.fire(el, kind);
  }

  /** Runs now whatever is waiting on `root` or inside it (a submit flushes its form). */
  flushWithin(root) {
    for (const el of Array.from(this.pending.keys())) if (root === el || root.contains(el)) this.flushEl(el);
  }

  /** Drops everything waiting. */
  clear() {
    for (const entries of this.pending.values()) for (const e of entries.values()) this.timers.clearTimeout(e.timer);
    this.pending.clear();
  }
}

function ms(value) {
  if (value === null || value === undefined || value === '') return null;
  const n = parseInt(value, 10);
  return Number.isNaN(n) || n < 0 ? null : n;
}
