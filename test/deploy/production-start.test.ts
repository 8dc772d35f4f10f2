import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { eventually } from '../support/server.js';
import { SseClient } from '../support/sse-client.js';
import { dockerfileStages } from './dockerfile.js';

/**
 * What the Dockerfile does, without Docker: its build stage's `npm run build` on a copy of the
 * sources; its runtime stage's files in a fresh directory and `npm ci --omit=dev` there (the real
 * registry, so it takes a while); then its CMD, `node dist/main.js`, and its HEALTHCHECK; then
 * SIGTERM, as `docker stop` sends it.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** What the runtime stage copies: public/ without its TypeScript sources (the build stage deletes public/app). */
const RUNTIME_PATHS = ['package.json', 'package-lock.json', 'scripts/prepare.mjs', 'dist', 'public'];

const DRAIN_MS = 200;
const GRACE_MS = 5_000; // SHUTDOWN_GRACE_MS's default
const METRICS_TOKEN = 'metrics-token-of-the-production-start-test';

/** The runtime stage's instructions (continuation lines joined, comments dropped), one line each. */
function runtimeStage(): string[] {
  return dockerfileStages(DOCKERFILE)
    .at(-1)!
    .map((i) => `${i.keyword} ${i.args}`.trim());
}

/** A server's environment: nothing of the test runner's (no REDIS_URL or other seatstream variable), plus `extra`. */
function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG'])
    if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, ...extra };
}

/**
 * npm's environment: the runner's, with the user's npm configuration (registry, proxy, cache), but
 * not what `npm test` sets for its own run (this package's name and directory, the lifecycle event).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const own = /^npm_(package_|lifecycle_|command$|execpath$|node_execpath$|config_local_prefix$|config_call$)/;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !own.test(name)));
}

/** What the build stage needs of the context (.dockerignore lets in these and a few files more). */
const BUILD_PATHS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts',
  'src',
  'public',
];

let work = '';
let dir = '';
let builtAt = 0;

function step(what: string, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 540_000 });
  if (result.status !== 0)
    throw new Error(`${what} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  console.info(`production start: ${what} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'seatstream-image-'));
  // The build stage, on a copy of the checkout (the checkout's own dist/ is left alone), with the
  // checkout's node_modules standing in for its `npm ci`.
  const build = join(work, 'build');
  for (const path of BUILD_PATHS)
    cpSync(join(ROOT, path), join(build, path), {
      recursive: true,
      filter: (source) => source !== join(ROOT, 'public', 'build'),
    });
  symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'));
  step('npm run build', 'npm', ['run', 'build', '--silent'], build, npmEnv());
  rmSync(join(build, 'public', 'app'), { recursive: true });

  // The runtime stage: its files from the build, then its npm ci.
  dir = join(work, 'runtime');
  for (const path of RUNTIME_PATHS) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(join(build, path), join(dir, path), { recursive: true });
  }
  builtAt = statSync(join(dir, 'dist', 'main.js')).mtimeMs;
  step('npm ci --omit=dev', 'npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], dir, {
    ...npmEnv(),
    NODE_ENV: 'production',
  });
}, 600_000);

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the production start, as the Docker image runs it', () => {
  it("copies what the Dockerfile's runtime stage copies", () => {
    const copies = runtimeStage()
      .filter((line) => /^COPY\s/i.test(line))
      .flatMap((line) => {
        const parts = line.split(/\s+/).slice(1);
        return parts.filter((part) => !part.startsWith('--')).slice(0, -1);
      })
      .map((source) => source.replace(/^\/app\//, '').replace(/\/$/, ''));
    expect(copies.sort()).toEqual([...RUNTIME_PATHS].sort());
    expect(runtimeStage().join('\n')).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(DOCKERFILE).toMatch(/rm -rf public\/app/);
  });

  it('installs runtime dependencies only; prepare leaves the build as it is', () => {
    expect(existsSync(join(dir, 'node_modules', 'fastify', 'package.json'))).toBe(true);
    for (const tool of ['typescript', 'esbuild', 'vitest', 'tsx'])
      expect(existsSync(join(dir, 'node_modules', tool)), tool).toBe(false);
    expect(statSync(join(dir, 'dist', 'main.js')).mtimeMs).toBe(builtAt);
    expect(existsSync(join(dir, 'src'))).toBe(false);
    expect(existsSync(join(dir, 'public', 'app'))).toBe(false);
  });

  it('node dist/main.js serves /healthz and the page; SIGTERM: drain, streams end with retry:, exit 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const [command, ...args] = JSON.parse(/^CMD\s+(\[.*\])$/m.exec(runtimeStage().join('\n'))![1]!) as string[];
    expect([command, ...args]).toEqual(['node', 'dist/main.js']);
    const started = Date.now();
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: serverEnv({
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        SESSION_SECRET: 'a-session-secret-of-the-production-start-test',
        METRICS_TOKEN,
        SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );

    await eventually(async () => {
      expect(child.exitCode, `exited at start-up:\n${output}`).toBeNull();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    }, 20_000);
    console.info(`production start: node dist/main.js answered /healthz after ${Date.now() - started} ms`);

    // The image's HEALTHCHECK, as Docker runs it: 0 here, 1 where nothing answers.
    const [, probe] = /^HEALTHCHECK\s.*\bCMD\s+(\[.*\])$/m.exec(runtimeStage().join('\n')) ?? [];
    const [node, ...probeArgs] = JSON.parse(probe!) as string[];
    expect(node).toBe('node');
    const healthcheck = (onPort: number) =>
      spawnSync(process.execPath, probeArgs, { env: serverEnv({ PORT: String(onPort) }), timeout: 10_000 }).status;
    expect(healthcheck(port)).toBe(0);
    expect(healthcheck(await freePort())).toBe(1);

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('build/app.js');
    const bundle = await fetch(`${url}/build/app.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${url}/app/main.ts`)).status).toBe(404); // the page's sources are not shipped
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('seatstream_sse_connections');

    const viewer = await SseClient.connect(`${url}/api/schedules/1/seats/events`);
    expect(viewer.status).toBe(200);
    await viewer.waitFor((c) => c.events.length > 0, 5_000, 'the snapshot');

    const signalled = Date.now();
    child.kill('SIGTERM');
    // Draining: readiness 503 at once, while the stream goes on.
    let readiness = 0;
    while (Date.now() - signalled < DRAIN_MS) {
      readiness = (await fetch(`${url}/readyz`)).status;
      if (readiness === 503) break;
    }
    expect(readiness).toBe(503);
    expect(viewer.ended).toBe(false);

    const result = await Promise.race([
      exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), DRAIN_MS + GRACE_MS + 2_000)),
    ]);
    expect(result, output).toEqual({ code: 0, signal: null });
    const took = Date.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(took).toBeLessThan(DRAIN_MS + GRACE_MS);
    await viewer.waitForEnd(1_000);
    expect(viewer.retries.at(-1)).toBeGreaterThanOrEqual(250);
    expect(viewer.retries.at(-1)).toBeLessThanOrEqual(1_250);
    console.info(`production start: exited 0 ${took} ms after SIGTERM (drain ${DRAIN_MS} ms)`);
  }, 60_000);
});
