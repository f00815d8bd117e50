// The `meta` member of a server frame (protocol §3), except `fatal`, which the view handles.

import {
  META_ERROR,
  META_TITLE,
  META_EVENTS,
  META_PATCH,
  META_REPLACE,
  META_REDIRECT,
  META_NAVIGATE,
  DOM_EVENT_PREFIX,
} from './protocol.js';

/**
 * Acts on `meta` after the frame's diff is on the page. `env` gives the window, the
 * container (for phx:error) and the ref of the frame.
 */
export function applyMeta(meta, { win, container, ref }) {
  const error = meta[META_ERROR];
  if (typeof error === 'string') {
    console.warn(`[liveview] ${error}`);
    container.dispatchEvent(new win.CustomEvent(DOM_EVENT_PREFIX + META_ERROR, { bubbles: true, detail: { message: error, ref } }));
  }
  const title = meta[META_TITLE];
  if (typeof title === 'string') win.document.title = title;
  const events = meta[META_EVENTS];
  if (Array.isArray(events)) {
    for (const ev of events) {
      if (Array.isArray(ev) && typeof ev[0] === 'string') {
        win.dispatchEvent(new win.CustomEvent(DOM_EVENT_PREFIX + ev[0], { detail: ev[1] }));
      }
    }
  }
  const patch = meta[META_PATCH];
  if (typeof patch === 'string') {
    const h = win.history;
    if (meta[META_REPLACE] === true) h.replaceState(h.state, '', patch);
    else h.pushState(null, '', patch);
  }
  const redirect = meta[META_REDIRECT];
  const leave = typeof redirect === 'string' ? redirect : meta[META_NAVIGATE];
  if (typeof leave === 'string') win.location.assign(leave);
}
