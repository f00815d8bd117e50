// `npm run build`: src/index.js -> dist/liveview.min.js, with the options of bundle_options.js.
import { build } from 'esbuild';
import { OPTIONS } from './bundle_options.js';

await build(OPTIONS);
