// The `meta` member of a server frame (protocol §3), except `fatal`, which the view handles.

/**
 * Acts on `meta` after the frame's diff is on the page. `env` gives the window, the
 * container (for phx:error) and the ref of the frame.
 */
export function applyMeta(meta, { win, container, ref }) {
  if (typeof meta.error === 'string') {
    console.warn(`[liveview] ${meta.error}`);
    container.dispatchEvent(new win.CustomEvent('phx:error', { bubbles: true, detail: { message: meta.error, ref } }));
  }
  if (typeof meta.title === 'string') win.document.title = meta.title;
  if (Array.isArray(meta.events)) {
    for (const ev of meta.events) {
      if (Array.isArray(ev) && typeof ev[0] === 'string') {
        win.dispatchEvent(new win.CustomEvent(`phx:${ev[0]}`, { detail: ev[1] }));
      }
    }
  }
  if (typeof meta.patch === 'string') {
    const h = win.history;
    if (meta.replace === true) h.replaceState(h.state, '', meta.patch);
    else h.pushState(null, '', meta.patch);
  }
  const leave = typeof meta.redirect === 'string' ? meta.redirect : meta.navigate;
  if (typeof leave === 'string') win.location.assign(leave);
}
