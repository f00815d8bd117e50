// Fails when dist/liveview.min.js is not what `npm run build` makes from the sources.
import { build } from 'esbuild';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const committed = join(root, 'dist/liveview.min.js');

// The same options as the `build` script in package.json.
const result = await build({
  entryPoints: [join(root, 'src/index.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  write: false,
  outfile: committed,
  absWorkingDir: root,
  logLevel: 'silent',
});
const fresh = result.outputFiles[0].text;
if (!existsSync(committed)) {
  console.error('check-bundle: dist/liveview.min.js is missing; run `npm run build` and commit it.');
  process.exit(1);
}
if (readFileSync(committed, 'utf8') !== fresh) {
  console.error('check-bundle: dist/liveview.min.js is out of date with src/; run `npm run build` and commit it.');
  process.exit(1);
}
console.log(`check-bundle: dist/liveview.min.js is up to date (${Buffer.byteLength(fresh)} bytes).`);
