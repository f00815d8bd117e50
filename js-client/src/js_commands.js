// JS commands (protocol §5.1), twin of liveview-core/src/js_commands.rs: a binding whose
// value is a JSON list `[[kind, {args}], ...]` runs it here, without a round trip, instead of
// sending the value as an event name. What a command changes on an element (classes,
// `style`, `hidden`, an attribute it set) is remembered, and a later morph keeps it where
// the server did not change that attribute (keepCommandChanges, called by morph.js).

import {
  JS_SHOW,
  JS_HIDE,
  JS_TOGGLE,
  JS_ADD_CLASS,
  JS_REMOVE_CLASS,
  JS_TRANSITION,
  JS_PUSH,
  JS_NAVIGATE,
  JS_PATCH,
  JS_DISPATCH,
  JS_FOCUS,
  JS_SET_ATTRIBUTE,
  JS_EXEC,
} from './protocol.js';

export const TRANSITION_MS = 200;

/** The commands of a binding's value, or null when the value is an event name. */
export function parseCommands(value) {
  if (!value || value[0] !== '[') return null;
  try {
    const commands = JSON.parse(value);
    return Array.isArray(commands) ? commands : null;
  } catch (err) {
    return null;
  }
}

// el -> what commands changed on it: `attrs` (name -> [the server's value, the command's]),
// `classes` (name -> added or removed), and `finish` of a transition still running.
const changes = new WeakMap();
const changesOf = (el) => changes.get(el) || changes.set(el, { attrs: new Map(), classes: new Map() }).get(el);

// Runs `change` on one attribute of el, remembering the value the server gave it.
function changeAttr(el, name, change) {
  const { attrs } = changesOf(el);
  const server = attrs.has(name) ? attrs.get(name)[0] : el.getAttribute(name);
  change();
  attrs.set(name, [server, el.getAttribute(name)]);
}

function changeClasses(el, names, add) {
  for (const name of names) {
    changesOf(el).classes.set(name, add);
    el.classList.toggle(name, add);
  }
}

/** Morph hook: `to` (the server's element) is about to replace `from`'s attributes. */
export function keepCommandChanges(from, to) {
  const c = changes.get(from);
  if (!c) return;
  for (const [name, [server, ours]] of c.attrs) {
    if (to.getAttribute(name) !== server) c.attrs.delete(name); // the server changed it: its value wins
    else if (ours === null) to.removeAttribute(name);
    else to.setAttribute(name, ours);
  }
  for (const [name, add] of c.classes) to.classList.toggle(name, add);
}

const words = (s) => s.split(/\s+/).filter(Boolean);
const isHidden = (el) => el.hidden || el.ownerDocument.defaultView.getComputedStyle(el).display === 'none';
const setDisplay = (el, display) => changeAttr(el, 'style', () => (el.style.display = display));

function show(el, display) {
  if (el.hidden) changeAttr(el, 'hidden', () => el.removeAttribute('hidden'));
  if (el.style.display === 'none') setDisplay(el, '');
  if (isHidden(el)) setDisplay(el, display || 'block');
}

/**
 * Changes `el` with `atStart`, animated by `a.transition` ([running, start, end] class lists)
 * over `a.time` ms, then `atEnd`. A transition still running on `el` first ends in its final
 * state, so a second command arriving mid-way starts from where the first one ends.
 */
function animate(view, el, a, atStart, atEnd = () => {}) {
  const c = changesOf(el);
  if (c.finish) c.finish();
  if (!a.transition) {
    atStart();
    atEnd();
    return;
  }
  const [running, start, end] = a.transition.map(words);
  changeClasses(el, [...running, ...start], true);
  atStart();
  void el.offsetWidth; // the start classes apply before the end ones replace them
  changeClasses(el, start, false);
  changeClasses(el, end, true);
  const timer = view.timers.setTimeout((c.finish = () => {
    view.timers.clearTimeout(timer);
    c.finish = null;
    for (const name of [...running, ...start, ...end]) c.classes.delete(name);
    el.classList.remove(...running, ...end);
    atEnd();
  }), a.time ?? TRANSITION_MS);
}

// The commands, by name: each runs once per element of its `to` (the element whose binding
// fired, without one), with the command's arguments, the view and the binding's push.
const COMMANDS = {
  [JS_SHOW]: (el, a, view) => animate(view, el, a, () => show(el, a.display)),
  [JS_HIDE]: (el, a, view) => animate(view, el, a, () => {}, () => setDisplay(el, 'none')),
  [JS_TOGGLE]: (el, a, view) => {
    if (changesOf(el).finish) changesOf(el).finish(); // toggle from where a running transition ends
    COMMANDS[isHidden(el) ? JS_SHOW : JS_HIDE](el, a, view);
  },
  [JS_ADD_CLASS]: (el, a, view) => animate(view, el, a, () => changeClasses(el, words(a.names), true)),
  [JS_REMOVE_CLASS]: (el, a, view) => animate(view, el, a, () => changeClasses(el, words(a.names), false)),
  [JS_TRANSITION]: (el, a, view) => animate(view, el, a, () => {}),
  [JS_PUSH]: (el, a, view, push) => {
    const from = a.target ? view.doc.querySelector(a.target) : el;
    if (from) push(a.event, a.value || {}, from);
  },
  [JS_NAVIGATE]: (el, a, view) => view.navigateTo(new URL(a.href, view.win.location.href).href),
  [JS_PATCH]: (el, a, view) => view.patchTo(a.href),
  [JS_DISPATCH]: (el, a, view) => el.dispatchEvent(new view.win.CustomEvent(a.event, { bubbles: true, detail: a.detail })),
  [JS_FOCUS]: (el) => el.focus(),
  [JS_SET_ATTRIBUTE]: (el, a) => changeAttr(el, a.attr[0], () => el.setAttribute(...a.attr)),
  [JS_EXEC]: (el, a, view, push) => runCommands(view, el, parseCommands(el.getAttribute(a.attr)) || [], push),
};

/**
 * Runs `commands` for the binding of `el` that fired. `push(event, value, from)` sends an
 * event the way that binding sends its own (rate shaping, loading classes, the reply).
 */
export function runCommands(view, el, commands, push) {
  for (const [kind, a = {}] of commands) {
    if (!COMMANDS[kind]) console.warn(`[liveview] unknown JS command ${kind}`);
    else for (const target of a.to ? view.doc.querySelectorAll(a.to) : [el]) COMMANDS[kind](target, a, view, push);
  }
}
