// One happy-dom window per test file, installed as the globals that morphdom and the
// sources expect in a browser. Import this module before any source module.
import { Window } from 'happy-dom';

export const window = new Window({ url: 'http://localhost:4000/counter?x=1', settings: { disableJavaScriptEvaluation: true, navigation: { disableMainFrameNavigation: true } } });
export const document = window.document;

for (const name of ['window', 'document', 'HTMLElement', 'Element', 'Node', 'CustomEvent', 'Event', 'KeyboardEvent', 'FocusEvent']) {
  if (name === 'window') globalThis.window = window;
  else if (name === 'document') globalThis.document = document;
  else globalThis[name] = window[name];
}

/** A fresh container in the body; its innerHTML is `html`. */
export function container(html = '', attrs = {}) {
  document.body.innerHTML = '';
  const el = document.createElement('div');
  el.id = 'phx-root';
  el.setAttribute('data-phx-main', '');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.innerHTML = html;
  document.body.appendChild(el);
  return el;
}

/** The browser-normalised form of `html`: what a fresh element's innerHTML gives back. */
export function normalised(html) {
  const el = document.createElement('div');
  el.innerHTML = html;
  return el.innerHTML;
}
