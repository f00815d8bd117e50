// Event bindings of protocol §5, by delegation: one listener per DOM event on the
// document (and the window for phx-window-*), looking up the phx-* attributes of the
// element the event happened in. Returns a function that removes the listeners.

import { serializeForm, assign } from './form.js';
import { parseCommands, runCommands } from './js_commands.js';
import {
  ATTR_LINK,
  ATTR_CONFIRM,
  LINK_PATCH,
  LINK_NAVIGATE,
  ATTR_CLICK,
  ATTR_SUBMIT,
  ATTR_CHANGE,
  BINDING_PREFIX,
  WINDOW_BINDING_PREFIX,
  ATTR_VALUE_PREFIX,
  ATTR_KEY,
  ATTR_DEBOUNCE,
  ATTR_THROTTLE,
  ATTR_DISABLE_WITH,
} from './protocol.js';

const CONTROLS = ['INPUT', 'TEXTAREA', 'SELECT'];

/** The element's phx-value-* attributes, without the prefix. */
export function phxValues(el) {
  const out = {};
  for (const { name, value } of Array.from(el.attributes)) {
    if (name.startsWith(ATTR_VALUE_PREFIX)) out[name.slice(ATTR_VALUE_PREFIX.length)] = value;
  }
  return out;
}

// phx-value-* plus "value" for form controls.
function valuesWithInput(el, extra = {}) {
  const out = { ...extra, ...phxValues(el) };
  if (CONTROLS.includes(el.tagName)) out.value = el.value;
  return out;
}

const rateOf = (el) => ({ debounce: el.getAttribute(ATTR_DEBOUNCE), throttle: el.getAttribute(ATTR_THROTTLE) });

// What an input holds now, to tell a `change` that repeats the last `input` apart.
function inputState(el) {
  if (el.type === 'checkbox' || el.type === 'radio') return String(el.checked);
  if (el.tagName === 'SELECT') return Array.from(el.selectedOptions, (o) => o.value).join('\0');
  return el.value;
}

// phx-key names one key, or several separated by spaces ("ArrowUp ArrowDown Enter").
const keyMatches = (el, e) => {
  const want = el.getAttribute(ATTR_KEY);
  return !want || (typeof e.key === 'string' && want.toLowerCase().split(' ').includes(e.key.toLowerCase()));
};

export function bind(view) {
  const { container, doc, win, rateShaper: shaper } = view;
  const lastSent = new WeakMap();
  const listeners = [];
  const on = (target, type, fn, capture = false) => {
    target.addEventListener(type, fn, capture);
    listeners.push(() => target.removeEventListener(type, fn, capture));
  };
  // A binding's value is an event name, sent by `push(name)`, or JS commands
  // (js_commands.js), whose `push` commands send through the same `push(name, value, from)`.
  const fire = (el, binding, push) => {
    const commands = parseCommands(binding);
    if (commands) runCommands(view, el, commands, push);
    else push(binding, {}, el);
  };
  // The closest element to the event's target with `attr`, inside the container.
  const closest = (e, attr) => {
    let t = e.target;
    if (t && t.nodeType !== 1) t = t.parentElement;
    const el = t && t.closest ? t.closest(`[${attr}]`) : null;
    return el && container.contains(el) ? el : null;
  };

  on(doc, 'click', (e) => {
    // data-confirm asks first; "Cancel" stops the click before any binding sees it.
    const asking = closest(e, ATTR_CONFIRM);
    if (asking && !win.confirm(asking.getAttribute(ATTR_CONFIRM))) {
      e.preventDefault();
      return;
    }
    // Patch and navigate links work anywhere on the page (a layout's nav too), same
    // origin only; a modified click (new tab) is the browser's.
    const link = e.target && e.target.closest ? e.target.closest(`a[${ATTR_LINK}]`) : null;
    const kind = link && link.getAttribute(ATTR_LINK);
    if ((kind === LINK_PATCH || kind === LINK_NAVIGATE) && link.href && link.origin === win.location.origin &&
        !e.defaultPrevented && e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey) {
      e.preventDefault();
      if (kind === LINK_PATCH) view.patchTo(link.href);
      else view.navigateTo(link.href);
      return;
    }
    const el = closest(e, ATTR_CLICK);
    if (!el) return;
    const binding = el.getAttribute(ATTR_CLICK);
    // A link bound to commands does not follow its href: the commands say where to go.
    if (el.tagName === 'A' && (el.getAttribute('href') === '#' || parseCommands(binding))) e.preventDefault();
    fire(el, binding, (name, value, from) =>
      shaper.run(from, 'click', () => view.pushEvent('click', from, name, { ...phxValues(from), ...value }, [from]), rateOf(from)));
  });

  on(doc, 'submit', (e) => {
    const form = e.target;
    if (!form || !container.contains(form) || !form.hasAttribute(ATTR_SUBMIT)) return;
    e.preventDefault();
    shaper.flushWithin(form); // pending debounced changes go first
    const submitter = e.submitter || null;
    const buttons = form.querySelectorAll(`[${ATTR_DISABLE_WITH}]`);
    fire(form, form.getAttribute(ATTR_SUBMIT), (name, value) =>
      shaper.run(form, 'submit', () => view.pushEvent('submit', form, name, { ...serializeForm(form, submitter), ...value }, buttons), rateOf(form)));
  });

  const change = (e) => {
    const input = e.target;
    if (!input || !CONTROLS.includes(input.tagName) || !container.contains(input)) return;
    const form = input.form;
    const bound = input.hasAttribute(ATTR_CHANGE) ? input : form && form.hasAttribute(ATTR_CHANGE) ? form : null;
    if (!bound) return;
    const state = inputState(input);
    if (e.type === 'change' && lastSent.get(input) === state) return; // the `input` event sent it
    lastSent.set(input, state);
    fire(bound, bound.getAttribute(ATTR_CHANGE), (name, extra) => {
      const send = () => {
        const value = form ? serializeForm(form) : assign({}, input.name, input.value);
        value._target = input.name;
        view.pushEvent('change', bound, name, { ...value, ...extra });
      };
      shaper.run(input, 'change', send, { ...rateOf(input), trailing: true });
    });
  };
  on(doc, 'input', change);
  on(doc, 'change', change);

  const key = (type) => (e) => {
    const attr = BINDING_PREFIX + type;
    const el = closest(e, attr);
    if (!el || !keyMatches(el, e)) return;
    fire(el, el.getAttribute(attr), (name, value, from) =>
      shaper.run(from, type, () => view.pushEvent(type, from, name, valuesWithInput(from, { key: e.key, ...value })), rateOf(from)));
  };
  on(doc, 'keydown', key('keydown'));
  on(doc, 'keyup', key('keyup'));

  const focus = (type) => (e) => {
    const attr = BINDING_PREFIX + type;
    if (type === 'blur' && e.target && e.target.nodeType === 1) shaper.flushEl(e.target); // phx-debounce="blur"
    const el = closest(e, attr);
    // Focus moving between the element's own descendants is not a focus/blur of it.
    if (!el || (e.relatedTarget && el.contains(e.relatedTarget))) return;
    fire(el, el.getAttribute(attr), (name, value, from) =>
      shaper.run(from, type, () => view.pushEvent(type, from, name, valuesWithInput(from, value)), rateOf(from)));
  };
  on(doc, 'focusin', focus('focus'));
  on(doc, 'focusout', focus('blur'));

  // phx-window-<type>: every element carrying the binding hears the window's event.
  const windowBinding = (type, isKey) => (e) => {
    const attr = WINDOW_BINDING_PREFIX + type;
    if (!isKey && e.target !== win) return; // element focus events do not count
    for (const el of Array.from(container.querySelectorAll(`[${attr}]`))) {
      if (isKey && !keyMatches(el, e)) continue;
      const extra = isKey ? { key: e.key } : {};
      fire(el, el.getAttribute(attr), (name, value, from) =>
        shaper.run(from, `window-${type}`, () => view.pushEvent(type, from, name, valuesWithInput(from, { ...extra, ...value })), rateOf(from)));
    }
  };
  on(win, 'keydown', windowBinding('keydown', true));
  on(win, 'keyup', windowBinding('keyup', true));
  on(win, 'focus', windowBinding('focus', false));
  on(win, 'blur', windowBinding('blur', false));

  on(win, 'popstate', () => view.popState());

  return () => listeners.forEach((off) => off());
}
