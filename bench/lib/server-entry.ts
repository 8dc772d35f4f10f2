/**
 * How the benchmark starts a server: `node --expose-gc server-entry.js <script> <port>` runs the
 * script (seatstream's main.js or the baseline) as if started as `node <script> <port>`, and
 * answers the parent's `'gc'` message over IPC once a full garbage collection is done, so that W1
 * reads RSS with no garbage left on the heap, before and after opening its connections
 * (bench/lib/scenario.ts, idle).
 */
import { pathToFileURL } from 'node:url';

const script = process.argv[2];
if (!script) throw new Error('usage: node --expose-gc server-entry.js <script> <port>');
process.argv.splice(1, 2, script);

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message) => {
  if (message !== 'gc') return;
  if (!gc) return process.send?.('no-gc');
  // Twice: what a first pass finds only weakly held or awaiting finalization goes in the second.
  gc();
  gc();
  process.send?.('gc');
});

await import(pathToFileURL(script).href);
