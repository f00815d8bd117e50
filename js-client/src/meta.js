// The `meta` member of a server frame (protocol §3), except `fatal`, which the view handles.

import {
  META_ERROR,
  META_TITLE,
  META_EVENTS,
  META_PATCH,
  META_REPLACE,
  META_REDIRECT,
  META_FLASH,
  FLASH_COOKIE,
  DOM_EVENT_PREFIX,
  ATTR_TITLE_PREFIX,
  ATTR_TITLE_SUFFIX,
} from './protocol.js';

/**
 * Acts on `meta` after the frame's diff is on the page. `env` gives the window, the
 * container (for phx:error) and the ref of the frame. (`navigate` is the view's: it joins
 * the next view over the same socket.)
 */
export function applyMeta(meta, { win, container, ref }) {
  if (typeof meta[META_ERROR] === 'string') {
    console.warn(`[liveview] ${meta[META_ERROR]}`);
    container.dispatchEvent(new win.CustomEvent(DOM_EVENT_PREFIX + META_ERROR, { bubbles: true, detail: { message: meta[META_ERROR], ref } }));
  }
  if (typeof meta[META_TITLE] === 'string') {
    // The layout's <title data-prefix data-suffix> frames every view's title.
    const frame = win.document.querySelector ? win.document.querySelector('head > title') : null;
    const part = (attr) => (frame && frame.getAttribute(attr)) || '';
    win.document.title = part(ATTR_TITLE_PREFIX) + meta[META_TITLE] + part(ATTR_TITLE_SUFFIX);
  }
  if (Array.isArray(meta[META_EVENTS])) {
    for (const ev of meta[META_EVENTS]) {
      if (Array.isArray(ev) && typeof ev[0] === 'string') {
        win.dispatchEvent(new win.CustomEvent(DOM_EVENT_PREFIX + ev[0], { detail: ev[1] }));
      }
    }
  }
  if (typeof meta[META_PATCH] === 'string') {
    const h = win.history;
    if (meta[META_REPLACE] === true) h.replaceState(h.state, '', meta[META_PATCH]);
    else h.pushState(null, '', meta[META_PATCH]);
  }
  if (typeof meta[META_REDIRECT] === 'string') {
    // The flash goes to the next page's request in a short-lived cookie; that page clears it.
    if (typeof meta[META_FLASH] === 'string') win.document.cookie = `${FLASH_COOKIE}=${meta[META_FLASH]}; path=/; max-age=60; samesite=lax`;
    win.location.assign(meta[META_REDIRECT]);
  }
}
