// Loading states (protocol §5): while an event awaits its reply, its element carries
// `phx-<type>-loading` and the `phx-disable-with` elements are disabled showing that text.
// A morph in the meantime updates what the element reverts to, not what it shows.

import { ATTR_DISABLE_WITH, LOADING_CLASS_PREFIX, LOADING_CLASS_SUFFIX } from './protocol.js';

export class Loading {
  constructor() {
    /** ref -> [{el, cls, disable}] */
    this.byRef = new Map();
    /** el -> {classes: Map<cls, count>, disable: {count, html, value, disabled} | null} */
    this.state = new Map();
  }

  /** Marks `el` loading for event `type` until `release(ref)`; disables `disableWith`. */
  lock(ref, el, type, disableWith = []) {
    const cls = LOADING_CLASS_PREFIX + type + LOADING_CLASS_SUFFIX;
    const locks = [{ el, cls, disable: false }];
    for (const d of disableWith) if (d.hasAttribute(ATTR_DISABLE_WITH)) locks.push({ el: d, cls: null, disable: true });
    for (const lock of locks) {
      const s = this.of(lock.el);
      if (lock.cls) {
        s.classes.set(lock.cls, (s.classes.get(lock.cls) || 0) + 1);
        lock.el.classList.add(lock.cls);
      } else if (s.disable) {
        s.disable.count++;
      } else {
        const d = lock.el;
        s.disable = { count: 1, html: d.innerHTML, value: d.getAttribute('value'), disabled: d.disabled };
        showDisabled(d, d.getAttribute(ATTR_DISABLE_WITH));
      }
    }
    this.byRef.set(ref, locks);
  }

  of(el) {
    let s = this.state.get(el);
    if (!s) this.state.set(el, (s = { classes: new Map(), disable: null }));
    return s;
  }

  /** The reply to `ref` arrived (or never will): undo its locks. */
  release(ref) {
    const locks = this.byRef.get(ref);
    if (!locks) return;
    this.byRef.delete(ref);
    for (const { el, cls } of locks) {
      const s = this.state.get(el);
      if (!s) continue;
      if (cls) {
        const n = (s.classes.get(cls) || 1) - 1;
        if (n) s.classes.set(cls, n);
        else {
          s.classes.delete(cls);
          el.classList.remove(cls);
        }
      } else if (s.disable && !--s.disable.count) {
        const d = s.disable;
        s.disable = null;
        if (el.tagName !== 'INPUT') el.innerHTML = d.html;
        else if (d.value === null) el.removeAttribute('value');
        else el.setAttribute('value', d.value);
        el.disabled = d.disabled;
      }
      if (!s.classes.size && !s.disable) this.state.delete(el);
    }
  }

  releaseAll() {
    for (const ref of Array.from(this.byRef.keys())) this.release(ref);
  }

  /** Morph hook: `to` is about to replace `from`'s attributes and content. */
  beforeUpdate(from, to) {
    const s = this.state.get(from);
    if (!s) return;
    for (const cls of s.classes.keys()) to.classList.add(cls);
    if (s.disable) {
      // What the server now says is what the element reverts to.
      const d = s.disable;
      d.html = to.innerHTML;
      d.value = to.getAttribute('value');
      d.disabled = to.hasAttribute('disabled');
      showDisabled(to, to.getAttribute(ATTR_DISABLE_WITH) || from.getAttribute(ATTR_DISABLE_WITH));
    }
  }
}

function showDisabled(el, text) {
  if (el.tagName === 'INPUT') el.setAttribute('value', text);
  else el.textContent = text;
  el.disabled = true;
}
