// The live view bound to the `[data-phx-main]` container: joins over the transport, applies
// replies and pushed updates to the page, sends events from the bindings, and shows the
// connection state (protocol §3, §4.4, §8).

import { FragmentStore } from './fragments.js';
import { applyToDom } from './morph.js';
import { Transport } from './transport.js';
import { Loading } from './loading.js';
import { RateShaper } from './rate_shaping.js';
import { bind } from './bindings.js';
import { applyMeta } from './meta.js';
import { serializeForm } from './form.js';
import {
  FRAME_JOIN,
  FRAME_EVENT,
  FRAME_NAV,
  META_FATAL,
  META_RELOAD,
  META_ERROR,
  META_PATCH,
  META_RESUME,
  META_SESSION,
  META_NAVIGATE,
  ATTR_SESSION,
  ATTR_CHANGE,
  ATTR_AUTO_RECOVER,
  AUTO_RECOVER_IGNORE,
  CLASS_LOADING,
  CLASS_CONNECTED,
  CLASS_ERROR,
  RELOAD_KEY,
} from './protocol.js';

export const STATES = [CLASS_LOADING, CLASS_CONNECTED, CLASS_ERROR];
export const RELOAD_GUARD_MS = 10000;

/** Same path as the page, ws/wss by the page's scheme; the join carries the full URL. */
export function websocketUrl(l) {
  return `${l.protocol === 'https:' ? 'wss' : 'ws'}://${l.host}${l.pathname}?vsn=1`;
}

export class LiveView {
  /**
   * @param {Element} container the `[data-phx-main]` element
   * @param {object} [opts] injectables: WebSocket, timers, random, now, storage, reload
   */
  constructor(container, opts = {}) {
    this.container = container;
    this.doc = container.ownerDocument;
    const win = (this.win = opts.window || this.doc.defaultView);
    this.timers = opts.timers || win;
    this.now = opts.now || Date.now;
    this.reload = opts.reload || (() => win.location.reload());
    this.storage = opts.storage !== undefined ? opts.storage : sessionStorageOf(win);
    this.store = new FragmentStore();
    this.loading = new Loading();
    this.rateShaper = new RateShaper(this.timers);
    this.joined = false;
    this.joinedOnce = false;
    this.unbind = null;
    this.transport = new Transport({
      url: () => this.websocketUrl(),
      WebSocket: opts.WebSocket || win.WebSocket,
      timers: this.timers,
      random: opts.random,
      onOpen: () => this.join(),
      onPush: (diff, meta, ref) => {
        if (this.joined) this.update(diff, meta, ref);
      },
      onClose: () => this.lost(),
    });
  }

  websocketUrl() {
    return websocketUrl(this.win.location);
  }

  connect() {
    this.setState(CLASS_LOADING);
    if (!this.unbind) {
      const offBindings = bind(this);
      // The browser knows the network went before a heartbeat would: give the socket up
      // at once (the server keeps the view for us), and come back as soon as it returns.
      const offline = () => this.transport.restart();
      const online = () => this.transport.reconnectNow();
      this.win.addEventListener('offline', offline);
      this.win.addEventListener('online', online);
      this.unbind = () => {
        offBindings();
        this.win.removeEventListener('offline', offline);
        this.win.removeEventListener('online', online);
      };
    }
    this.transport.connect();
  }

  disconnect() {
    this.transport.stop();
    this.rateShaper.clear();
    if (this.unbind) this.unbind();
    this.unbind = null;
    this.joined = false;
  }

  setState(cls) {
    for (const s of STATES) if (s !== cls) this.container.classList.remove(s);
    this.container.classList.add(cls);
  }

  /**
   * Joins the view at the current URL. After a lost socket, the token of the last join
   * lets the server resume the view if it still waits for us (same state, no mount);
   * otherwise it mounts afresh and the forms are recovered. `navigating`: the socket is
   * open and the client moves to another view of the live session over it.
   */
  join(navigating = false) {
    this.joined = false;
    this.navigating = navigating;
    this.setState(CLASS_LOADING);
    const session = this.container.getAttribute(ATTR_SESSION);
    const payload = { session, url: this.win.location.href, resume: navigating ? undefined : this.resumeToken };
    const sent = this.transport.send([FRAME_JOIN, payload], (diff, meta) => this.onJoin(diff, meta));
    // The socket went just as the client moved on: load the page instead.
    if (!sent && navigating) this.win.location.assign(this.win.location.href);
  }

  /** Moves to the view at `url` over the same socket (`fromHistory`: back/forward, the URL is already there). */
  navigateTo(url, fromHistory = false) {
    if (!this.joined) return this.win.location.assign(url);
    if (!fromHistory && url !== this.win.location.href) this.win.history.pushState(null, '', url);
    this.lastUrl = this.win.location.href;
    this.join(true);
  }

  onJoin(diff, meta) {
    if (meta[META_FATAL]) return this.fatal(meta);
    // A view reached by navigation has its own token: the next join (a reconnect) uses it.
    if (typeof meta[META_SESSION] === 'string') this.container.setAttribute(ATTR_SESSION, meta[META_SESSION]);
    let recover = [];
    try {
      if (!diff || typeof diff !== 'object' || Array.isArray(diff) || typeof diff[''] !== 'string') {
        throw new Error(meta[META_ERROR] || 'join reply without a root fragment');
      }
      // The join reply is the whole view: forget what we had, rebuild, morph the root.
      if (this.joinedOnce && !this.navigating) recover = this.formsToRecover();
      this.store.reset();
      const changed = this.store.apply(diff);
      applyToDom(this.container, this.store, changed, { join: true, beforeUpdate: (f, t) => this.loading.beforeUpdate(f, t) });
      this.store.forgetStreamItems(changed);
    } catch (err) {
      console.warn(`[liveview] join failed: ${err.message}`);
      this.transport.restart();
      return;
    }
    this.joined = this.joinedOnce = true;
    this.navigating = false;
    this.resumeToken = meta[META_RESUME];
    this.setState(CLASS_CONNECTED);
    this.transport.resetBackoff();
    this.lastUrl = this.win.location.href;
    applyMeta(meta, { win: this.win, container: this.container, ref: 0 });
    for (const [id, name, value] of recover) {
      const form = this.doc.getElementById(id);
      if (form && this.container.contains(form)) this.pushEvent('change', form, name, value);
    }
  }

  /**
   * Before a rejoin replaces the page: what the user had typed in each form with an id
   * and phx-change, to send again as a change event once the fresh mount is on the page
   * (phx-auto-recover="ignore" opts out, phx-auto-recover="name" sends that event instead).
   */
  formsToRecover() {
    const out = [];
    for (const form of this.container.querySelectorAll(`form[id][${ATTR_CHANGE}]`)) {
      const how = form.getAttribute(ATTR_AUTO_RECOVER);
      if (how === AUTO_RECOVER_IGNORE) continue;
      out.push([form.id, how || form.getAttribute(ATTR_CHANGE), serializeForm(form)]);
    }
    return out;
  }

  /** A reply or pushed update: apply the diff, then act on meta. `form`: see applyToDom. */
  update(diff, meta, ref, form) {
    if (meta[META_FATAL]) return this.fatal(meta);
    if (diff && typeof diff === 'object') {
      try {
        const changed = this.store.apply(diff);
        applyToDom(this.container, this.store, changed, { form, beforeUpdate: (f, t) => this.loading.beforeUpdate(f, t) });
        this.store.forgetStreamItems(changed);
      } catch (err) {
        // Our fragments no longer match the server's: start again from a fresh join.
        console.warn(`[liveview] could not apply diff, rejoining: ${err.message}`);
        this.transport.restart();
        return;
      }
    }
    applyMeta(meta, { win: this.win, container: this.container, ref });
    if (typeof meta[META_PATCH] === 'string') this.lastUrl = this.win.location.href;
    if (typeof meta[META_NAVIGATE] === 'string') this.navigateTo(new URL(meta[META_NAVIGATE], this.win.location.href).href);
  }

  fatal(meta) {
    console.warn(`[liveview] view stopped: ${meta[META_FATAL]}`);
    this.joined = false;
    this.setState(CLASS_ERROR);
    if (meta[META_RELOAD] === true) {
      this.transport.stop();
      this.reloadGuarded();
    } else {
      this.transport.restart(); // rejoin with a fresh mount, after the backoff delay
    }
  }

  // Reloads the page, at most once per RELOAD_GUARD_MS (remembered across reloads).
  reloadGuarded() {
    const now = this.now();
    let last = NaN;
    try {
      last = parseInt(this.storage && this.storage.getItem(RELOAD_KEY), 10);
    } catch (err) {
      /* storage unavailable */
    }
    if (last <= now && now - last < RELOAD_GUARD_MS) {
      this.timers.setTimeout(() => this.reloadGuarded(), last + RELOAD_GUARD_MS - now);
      return;
    }
    try {
      if (this.storage) this.storage.setItem(RELOAD_KEY, String(now));
    } catch (err) {
      /* storage unavailable */
    }
    this.reload();
  }

  lost() {
    this.joined = false;
    this.setState(CLASS_ERROR);
    this.loading.releaseAll();
  }

  /**
   * Sends an event from a binding of kind `type` on `el`; `el` shows `phx-<type>-loading`
   * (and `disableWith` elements are disabled) until the reply. Returns the ref, 0 if not sent.
   */
  pushEvent(type, el, name, value, disableWith = []) {
    if (!this.joined) return 0;
    const ref = this.transport.send([FRAME_EVENT, name, value], (diff, meta) => {
      this.loading.release(ref);
      // The reply to a submit puts the server's values in the submitted form's fields.
      this.update(diff, meta, ref, type === 'submit' ? el : null);
    });
    if (ref) this.loading.lock(ref, el, type, disableWith);
    return ref;
  }

  /**
   * The URL changed inside this view (patch link, back/forward). After back/forward the
   * page shows the state of that URL, so the reply's values go into the focused field's
   * form too (as after a submit): a search box shows the query whose results it shows.
   */
  nav(url, fromHistory = false) {
    if (!this.joined) return 0;
    this.lastUrl = url;
    const form = fromHistory ? this.doc.activeElement?.form ?? null : null;
    const ref = this.transport.send([FRAME_NAV, url], (diff, meta) => this.update(diff, meta, ref, form));
    return ref;
  }

  /** A `data-phx-link="patch"` link was followed. */
  patchTo(href) {
    this.win.history.pushState(null, '', href);
    this.nav(this.win.location.href);
  }

  /** Back/forward: tell the server unless only the #hash moved. */
  popState() {
    const url = this.win.location.href;
    if (this.lastUrl && url.split('#')[0] === this.lastUrl.split('#')[0]) return;
    this.nav(url, true);
  }
}

function sessionStorageOf(win) {
  try {
    return win.sessionStorage;
  } catch (err) {
    return null;
  }
}
