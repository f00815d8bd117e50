// The esbuild options of the bundle, shared by `npm run build` (scripts/build.js) and
// `npm run check-bundle` (scripts/check-bundle.js), so the two cannot drift apart.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTFILE = join(ROOT, 'dist/liveview.min.js');

/**
 * Members of the client's own objects (and keys of its own option objects), renamed to
 * short names in the bundle: minifying renames variables but never properties, and these
 * names are about a twentieth of the gzipped bundle. Every access to them is inside the
 * bundle, so renaming them all alike is safe as long as no name here is also a property of
 * something the client does not own (a DOM object, a builtin, morphdom's options, a key
 * of a frame): test/bundle_options.test.js checks that. A member missing from the list only
 * costs bytes. Public entry points (`connect`, `disconnect`) keep their names.
 */
export const MANGLED_MEMBERS = [
  // view.js
  'container', 'doc', 'win', 'timers', 'storage', 'store', 'loading', 'rateShaper', 'joined',
  'joinedOnce', 'unbind', 'transport', 'lastUrl', 'websocketUrl', 'setState', 'onJoin',
  'formsToRecover', 'fatal', 'reloadGuarded', 'lost', 'pushEvent', 'nav', 'patchTo', 'popState',
  'update', 'navigating', 'navigateTo', 'resumeToken',
  // transport.js
  'ws', 'replies', 'attempts', 'stopped', 'retryTimer', 'hbTimer', 'hbTimeout', 'receive',
  'heartbeat', 'resetBackoff', 'restart', 'stopTimers', 'onOpen', 'onPush', 'onClose', 'reconnectNow',
  // fragments.js
  'frags', 'parents', 'kids', 'forget', 'forgetStreamItems', 'reachable', 'expand', 'tokens', 'html',
  // loading.js
  'byRef', 'lock', 'release', 'releaseAll', 'beforeUpdate', 'classes', 'disable', 'cls', 'el',
  // rate_shaping.js
  'pending', 'run', 'fire', 'flushEl', 'flushWithin', 'debounce', 'throttle', 'trailing', 'fn', 'timer',
  // morph.js
  'pool', 'roots', 'caret', 'morph',
  // js_commands.js
  'attrs', 'finish',
];

/**
 * Puts each protocol word (src/protocol.js) in the bundle as its string, where it is used,
 * instead of as a variable: esbuild keeps imported string constants longer than a few
 * characters as variables, and the literals fold into the selectors and templates that use
 * them (about 330 bytes of the gzipped bundle). The sources keep naming every word once.
 */
export const inlineProtocolWords = {
  name: 'inline-protocol-words',
  setup(build) {
    const protocol = join(ROOT, 'src/protocol.js');
    const words = [...readFileSync(protocol, 'utf8').matchAll(/^export const (\w+) = ('[^'\n]*');/gm)];
    build.onLoad({ filter: /[\\/]src[\\/][^\\/]+\.js$/ }, ({ path }) => {
      if (path === protocol) return undefined;
      let code = readFileSync(path, 'utf8').replace(/import \{[^}]*\} from '\.\/protocol\.js';/, '');
      for (const [, name, literal] of words) code = code.replace(new RegExp(`\\b${name}\\b`, 'g'), literal);
      return { contents: code, loader: 'js' };
    });
  },
};

export const OPTIONS = {
  entryPoints: [join(ROOT, 'src/index.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  mangleProps: new RegExp(`^(${MANGLED_MEMBERS.join('|')})$`),
  outfile: OUTFILE,
  absWorkingDir: ROOT,
  logLevel: 'warning',
  plugins: [inlineProtocolWords],
};
