#!/usr/bin/env node
// `npm install` in a checkout builds the server and the demo page, so that `npm start` (compiled
// JavaScript, runtime dependencies only) works right after it. Without the build tools (an install
// with --omit=dev) the tree must have been built already: nothing to do, or say what is missing.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
// npm pack and npm publish run prepack too, which builds: once is enough.
if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0);
const require = createRequire(root);
let tools = true;
try {
  require.resolve('typescript');
  require.resolve('esbuild');
} catch {
  tools = false;
}
if (tools) {
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
} else if (!existsSync(new URL('dist/main.js', root))) {
  console.error(
    'seatstream: no dist/ and no build tools: run `npm install` (with dev dependencies) and `npm run build`',
  );
  process.exit(1);
}
