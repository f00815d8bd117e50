// Prints the bundle's minified and gzipped sizes.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const file = join(dirname(fileURLToPath(import.meta.url)), '../dist/liveview.min.js');
const code = readFileSync(file);
const gz = gzipSync(code, { level: 9 }).length;
const kib = (n) => (n / 1024).toFixed(2);
console.log(`dist/liveview.min.js: ${code.length} bytes min (${kib(code.length)} KiB), ${gz} bytes gzip (${kib(gz)} KiB)`);
