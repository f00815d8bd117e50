// Entry point of the bundle: starts the live view on the `[data-phx-main]` container once
// the document is parsed, and exposes it as `window.liveView` (debugging, tests).

import { LiveView } from './view.js';
import { ATTR_MAIN } from './protocol.js';

function start() {
  const container = document.querySelector(`[${ATTR_MAIN}]`);
  if (!container || window.liveView) return;
  window.liveView = new LiveView(container);
  window.liveView.connect();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
