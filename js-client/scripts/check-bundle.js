// Fails when dist/liveview.min.js is not what `npm run build` makes from the sources.
import { build } from 'esbuild';
import { readFileSync, existsSync } from 'node:fs';
import { OPTIONS, OUTFILE } from './bundle_options.js';

const result = await build({ ...OPTIONS, write: false, logLevel: 'silent' });
const fresh = result.outputFiles[0].text;
if (!existsSync(OUTFILE)) {
  console.error('check-bundle: dist/liveview.min.js is missing; run `npm run build` and commit it.');
  process.exit(1);
}
if (readFileSync(OUTFILE, 'utf8') !== fresh) {
  console.error('check-bundle: dist/liveview.min.js is out of date with src/; run `npm run build` and commit it.');
  process.exit(1);
}
console.log(`check-bundle: dist/liveview.min.js is up to date (${Buffer.byteLength(fresh)} bytes).`);
