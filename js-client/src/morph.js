// Putting a diff on the page (protocol §4.4): which fragments to morph, the morphdom
// wrapper with its keep-rules, and the post-pass for skipped children that moved.

import morphdom from 'morphdom';
import { keepCommandChanges } from './js_commands.js';
import {
  ATTR_SKIP,
  ATTR_UPDATE,
  UPDATE_IGNORE,
  UPDATE_STREAM,
  ATTR_STREAM_AT,
  ATTR_STREAM_DELETE,
  ATTR_STREAM_RESET,
  ATTR_STREAM_LIMIT,
} from './protocol.js';

const FORM_CONTROLS = ['INPUT', 'TEXTAREA', 'SELECT'];

/** Parses HTML in a <template>, so any element (a `<tr>`, a `<li>`) parses in place. */
export function parseHTML(doc, html) {
  const t = doc.createElement('template');
  t.innerHTML = html;
  return t.content;
}

/** The element with this id inside `root` (or `root` itself), duplicates outside ignored. */
export function findById(root, id) {
  if (root.id === id) return root;
  const doc = root.ownerDocument;
  const hit = root.isConnected && doc.getElementById(id);
  if (hit && root.contains(hit)) return hit;
  for (const el of root.querySelectorAll('[id]')) if (el.id === id) return el;
  return null;
}

// Copies attributes from `to` onto `from`, removing the ones `to` lacks; `keep(name)`
// limits which names are touched.
function mergeAttrs(from, to, keep) {
  for (const { name, value } of Array.from(to.attributes)) {
    if (keep(name) && from.getAttribute(name) !== value) from.setAttribute(name, value);
  }
  for (const { name } of Array.from(from.attributes)) {
    if (keep(name) && !to.hasAttribute(name)) from.removeAttribute(name);
  }
}

/**
 * Applies the changed fragments of a diff (already in `store`) to the DOM under
 * `container`. Options: `join` (stream containers are reset, not merged), `beforeUpdate`
 * (from, to) called before an element is updated (used to carry loading states over),
 * `form` (the form whose submit this diff answers: its controls take the server's values
 * even when focused).
 */
export function applyToDom(container, store, changed, options = {}) {
  const doc = container.ownerDocument;
  const ctx = { doc, join: !!options.join, beforeUpdate: options.beforeUpdate, form: options.form, pool: [], roots: [] };
  ctx.morph = (from, to, childrenOnly) => morphdom(from, to, morphOptions(ctx, childrenOnly));

  let targets;
  if (changed.has('')) targets = [''];
  else {
    targets = [];
    for (const key of changed) {
      const parent = store.parent(key);
      if (parent !== undefined && !changed.has(parent) && store.reachable(key)) targets.push(key);
    }
  }
  let lost = false;
  for (const key of targets) {
    if (key === '') {
      morphRoot(ctx, container, store.html('', changed));
      continue;
    }
    const to = parseHTML(doc, store.html(key, changed)).firstElementChild;
    const from = to && (findById(container, to.id) || fromPool(ctx, to.id));
    if (!from) {
      lost = true;
      break;
    }
    ctx.roots.push(ctx.morph(from, to, false));
  }
  if (lost) {
    // The page does not have an element the diff names: rebuild from the full HTML.
    morphRoot(ctx, container, store.html(''));
  }
  resolvePlaceholders(ctx, store);
  // The focused control of the submitted form took a new value: caret at its end.
  const [el, old] = ctx.caret || [];
  if (el && el.value !== old && el.selectionStart != null) el.setSelectionRange(el.value.length, el.value.length);
}

function morphRoot(ctx, container, html) {
  const to = ctx.doc.createElement('div');
  to.appendChild(parseHTML(ctx.doc, html));
  ctx.morph(container, to, true);
  ctx.roots.push(container);
}

function fromPool(ctx, id) {
  for (const node of ctx.pool) {
    if (node.nodeType !== 1 || node.isConnected) continue;
    const hit = findById(node, id);
    if (hit) return hit;
  }
  return null;
}

// A placeholder left after the morph is an unchanged child that moved to a new parent:
// put back the element that was discarded from its old place, or build it afresh.
function resolvePlaceholders(ctx, store) {
  const found = new Set();
  for (const root of ctx.roots) {
    if (root.hasAttribute(ATTR_SKIP)) found.add(root);
    for (const ph of root.querySelectorAll(`[${ATTR_SKIP}]`)) found.add(ph);
  }
  for (const ph of found) {
    if (!ph.parentNode) continue;
    const kept = ph.id && fromPool(ctx, ph.id);
    if (kept && !kept.hasAttribute(ATTR_SKIP)) {
      ph.replaceWith(kept);
    } else {
      ph.replaceWith(parseHTML(ctx.doc, store.html(ph.getAttribute(ATTR_SKIP))));
    }
  }
}

function morphOptions(ctx, childrenOnly) {
  return {
    childrenOnly,
    onBeforeElUpdated(from, to) {
      if (to.hasAttribute(ATTR_SKIP)) return false;
      keepCommandChanges(from, to);
      if (ctx.beforeUpdate) ctx.beforeUpdate(from, to);
      if (from.getAttribute(ATTR_UPDATE) === UPDATE_IGNORE) {
        mergeAttrs(from, to, (name) => name.startsWith('data-'));
        return false;
      }
      if (from === ctx.doc.activeElement && FORM_CONTROLS.includes(from.tagName)) {
        if (ctx.form && from.form === ctx.form) {
          // The reply to its form's submit: morphdom syncs value/checked/selection in place.
          ctx.caret = [from, from.value];
          return true;
        }
        if (from.tagName === 'SELECT') {
          // Let the options update, but keep what the user has selected.
          const picked = new Set(Array.from(from.selectedOptions, (o) => o.value));
          for (const o of to.querySelectorAll('option')) o.toggleAttribute('selected', picked.has(o.value));
          return true;
        }
        mergeAttrs(from, to, (name) => name !== 'value');
        return false;
      }
      return true;
    },
    onBeforeElChildrenUpdated(from, to) {
      if (from.getAttribute(ATTR_UPDATE) !== UPDATE_STREAM) return true;
      if (ctx.join) {
        // A join replaces the children; the reset it may carry is done with.
        from.removeAttribute(ATTR_STREAM_RESET);
        return true;
      }
      mergeStream(ctx, from, to);
      return false;
    },
    onNodeDiscarded(node) {
      ctx.pool.push(node);
    },
  };
}

const intAttr = (el, name, dflt) => {
  const n = parseInt(el.getAttribute(name), 10);
  return Number.isNaN(n) ? dflt : n;
};

// A phx-update="stream" container keeps the children the new HTML does not mention.
// A mentioned child that exists is updated in place; a new one is inserted at
// data-phx-stream-at (0 = first, n = before the n-th child, -1 or absent = last); one
// marked data-phx-stream-delete is removed. The container's data-phx-stream-reset drops
// the children not mentioned and puts the others in the new HTML's order;
// data-phx-stream-limit keeps the first n (or last -n).
function mergeStream(ctx, from, to) {
  const incoming = Array.from(to.children);
  const reset = to.hasAttribute(ATTR_STREAM_RESET);
  if (reset) {
    const ids = new Set(incoming.map((c) => c.id));
    for (const c of Array.from(from.children)) if (!c.id || !ids.has(c.id)) c.remove();
  }
  for (const child of incoming) {
    const existing = child.id ? Array.from(from.children).find((c) => c.id === child.id) : null;
    if (child.hasAttribute(ATTR_STREAM_DELETE)) {
      if (existing) existing.remove();
    } else if (existing) {
      if (!child.hasAttribute(ATTR_SKIP)) ctx.morph(existing, child, false);
      if (reset) from.appendChild(existing);
    } else if (reset) {
      from.appendChild(child);
    } else {
      const at = intAttr(child, ATTR_STREAM_AT, -1);
      from.insertBefore(child, at >= 0 ? from.children[at] || null : null);
    }
  }
  // A reset is an instruction for this merge, not a state: the page does not keep it.
  from.removeAttribute(ATTR_STREAM_RESET);
  const limit = intAttr(to, ATTR_STREAM_LIMIT, 0);
  if (limit > 0) while (from.children.length > limit) from.lastElementChild.remove();
  if (limit < 0) while (from.children.length > -limit) from.firstElementChild.remove();
}
