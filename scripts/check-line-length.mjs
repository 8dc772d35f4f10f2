#!/usr/bin/env node
// Fails when a source line is longer than the limit: the formatter wraps code, but not long
// strings, comments or Lua, so those are checked here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 120;
const patterns = ['*.ts', '*.lua', '*.mjs'];
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], {
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
let long = 0;
for (const file of files) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > LIMIT) {
        long++;
        console.error(`${file}:${i + 1}: ${line.length} characters (limit ${LIMIT})`);
      }
    });
}
if (long > 0) process.exit(1);
