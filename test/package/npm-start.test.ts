import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { eventually } from '../support/server.js';
import { SseClient } from '../support/sse-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm start` as an operator runs it: the compiled server, signalled through npm. */
describe('npm start', () => {
  beforeAll(() => {
    // What npm start runs is dist/: compile the sources this suite tests.
    execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  }, 130_000);

  it('serves from dist/; a SIGTERM to npm drains the server, ends its streams with retry:, and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_MS: '600' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      npm.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await eventually(async () => expect((await fetch(`${url}/healthz`)).status).toBe(200), 20_000);
      expect(output).toContain('node dist/main.js'); // compiled JavaScript, not tsx
      const viewer = await SseClient.connect(`${url}/api/schedules/1/seats/events`);
      expect(viewer.status).toBe(200);

      const signalled = Date.now();
      npm.kill('SIGTERM');
      // The signal reached the server: readiness is off at once, the stream goes on for the drain.
      await eventually(async () => expect((await fetch(`${url}/readyz`)).status).toBe(503), 500);
      expect(viewer.ended).toBe(false);
      expect(await exited).toEqual({ code: 0, signal: null });
      const took = Date.now() - signalled;
      expect(took).toBeGreaterThanOrEqual(600);
      expect(took).toBeLessThan(600 + 5_000); // SHUTDOWN_GRACE_MS after the drain
      await viewer.waitForEnd(1_000);
      expect(viewer.retries.at(-1)).toBeGreaterThanOrEqual(250);
      expect(viewer.retries.at(-1)).toBeLessThanOrEqual(1_250);
      // Nothing is left behind answering on the port (the server was not orphaned).
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 60_000);
});
