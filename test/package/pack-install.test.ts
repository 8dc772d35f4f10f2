import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it: `npm pack` (prepack builds), the tarball installed into an empty
 * project, then imported from Node and compiled from TypeScript, and the testing kit used by a
 * small vitest test of that project. Slow (an install), so it runs once per suite.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  devDependencies: Record<string, string>;
};

function run(command: string, args: string[], cwd: string, timeout = 240_000): string {
  try {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
  }
}

describe('the packed package, installed into an empty project', () => {
  let work: string;
  let project: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'seatstream-pack-'));
    run('npm', ['pack', '--pack-destination', work, '--silent'], ROOT);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2),
    );
    // The same TypeScript, Node types and vitest as this repository, from the npm cache when there.
    const dev = own.devDependencies;
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        tarball,
        `typescript@${dev.typescript}`,
        `@types/node@${dev['@types/node']}`,
        `vitest@${dev.vitest}`,
      ],
      project,
    );
  }, 300_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the built server, the built demo page, the README and the LICENSE, and no sources or tests', () => {
    const listed = run('tar', ['-tzf', tarball], work)
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    for (const file of [
      'dist/main.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/sinks/index.js',
      'dist/client/index.d.ts',
      'dist/testing/index.js',
      'dist/backends/redis/lua/seat-hold.lua',
      'public/index.html',
      'public/build/app.js',
      'README.md',
      'LICENSE',
      'package.json',
    ])
      expect(listed).toContain(file);
    expect(
      listed.filter(
        (f) => f.startsWith('src/') || f.startsWith('test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
      ),
    ).toEqual([]);
    // The source maps carry their sources: nothing points at a file the package does not ship.
    const map = JSON.parse(readFileSync(join(project, 'node_modules/seatstream/dist/http/plugin.js.map'), 'utf8'));
    expect(map.sourcesContent?.[0]).toContain('seatstream');
    const page = JSON.parse(readFileSync(join(project, 'node_modules/seatstream/public/build/app.js.map'), 'utf8'));
    expect(page.sourcesContent.length).toBe(page.sources.length);
  });

  it('imports seatstream, seatstream/sinks, seatstream/client and seatstream/testing from Node', () => {
    const script = `
      const root = await import('seatstream');
      const sinks = await import('seatstream/sinks');
      const client = await import('seatstream/client');
      const testing = await import('seatstream/testing');
      console.log(JSON.stringify({
        plugin: typeof root.seatstream, buildApp: typeof root.buildApp, loadConfig: typeof root.loadConfig,
        redisBackend: typeof root.redisBackend, memoryBackend: typeof root.memoryBackend,
        internal: 'TopicHub' in root || 'LocalBus' in root || 'RedisSeatStore' in root,
        sinks: typeof sinks.Sinks.many, client: typeof client.SeatstreamClient,
        testing: Object.keys(testing).length > 0,
      }));`;
    const out = JSON.parse(run('node', ['--input-type=module', '-e', script], project));
    expect(out).toEqual({
      plugin: 'function',
      buildApp: 'function',
      loadConfig: 'function',
      redisBackend: 'function',
      memoryBackend: 'function',
      internal: false,
      sinks: 'function',
      client: 'function',
      testing: true,
    });
  });

  it('compiles from TypeScript (NodeNext, skipLibCheck off): Node-only without the DOM lib, and a browser one', () => {
    writeFileSync(
      join(project, 'node-only.ts'),
      `import Fastify from 'fastify';
import { seatstream, type SeatstreamOptions, loadConfig } from 'seatstream';
import { Sinks } from 'seatstream/sinks';
import { SeatstreamClient, type NoticeEvent } from 'seatstream/client';
import * as testing from 'seatstream/testing';
const options: SeatstreamOptions = { config: { ...loadConfig({}), demo: false } };
const app = Fastify();
await app.register(seatstream, options);
const ctx = app.seatstream; // the decorator is typed on the host
const sink = Sinks.many().multicast().onBackpressureBuffer<number>();
const client: SeatstreamClient = new SeatstreamClient({ schedules: 1, baseUrl: 'http://127.0.0.1:1', fetch });
client.on('notice', (n: NoticeEvent) => n.eventId);
export { ctx, sink, testing };
`,
    );
    const strict = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
    };
    writeFileSync(
      join(project, 'tsconfig.node.json'),
      JSON.stringify({
        compilerOptions: { ...strict, target: 'ES2022', lib: ['ES2022'], types: ['node'] },
        files: ['node-only.ts'],
      }),
    );
    run('npx', ['tsc', '-p', 'tsconfig.node.json'], project);

    writeFileSync(
      join(project, 'browser.ts'),
      `import { SeatstreamClient, HOLD_NOTICE_EVENTS } from 'seatstream/client';
const client = new SeatstreamClient({ schedules: [1, 2], notifications: true });
client.on('seat', ({ seat }) => document.title = seat.row);
export const names: readonly string[] = HOLD_NOTICE_EVENTS;
export { client };
`,
    );
    writeFileSync(
      join(project, 'tsconfig.browser.json'),
      JSON.stringify({
        compilerOptions: { ...strict, target: 'ES2022', lib: ['ES2022', 'DOM'], types: [] },
        files: ['browser.ts'],
      }),
    );
    run('npx', ['tsc', '-p', 'tsconfig.browser.json'], project);
  });

  it("runs a user's own vitest test with seatstream/testing from the installed package", () => {
    writeFileSync(
      join(project, 'seats.test.ts'),
      `import { expect, it } from 'vitest';
import { startSeatstream } from 'seatstream/testing';
it('a guest holds a seat and every viewer sees it', async () => {
  const seatstream = await startSeatstream();
  try {
    await seatstream.putSchedule(42, { rows: 2, seatsPerRow: 5 });
    const seats = await seatstream.openSchedule(42);
    const buyer = await seatstream.guest();
    const held = await seatstream.hold(buyer, 42, [7]);
    const event = await seats.waitFor('seat', (e) => e.data.scheduleSeatId === 7);
    expect(event.id).toBe(held.eventId);
    expect(event.data.status).toBe('HELD');
  } finally {
    await seatstream.close();
  }
});
`,
    );
    const out = run('npx', ['vitest', 'run', 'seats.test.ts', '--reporter', 'verbose'], project);
    expect(out).toMatch(/✓ .*a guest holds a seat and every viewer sees it/);
    expect(out).toMatch(/Tests\s+1 passed/);
  });

  it('needs no Node newer than its engines say, whatever it installs', () => {
    const floor = semver.minVersion(own.engines.node)!;
    interface Node {
      version?: string;
      engines?: { node?: string };
      dependencies?: Record<string, Node>;
    }
    const tree = JSON.parse(run('npm', ['ls', '--all', '--json', '--long'], project)) as Node;
    const tooNew: string[] = [];
    let seen = 0;
    const walk = (node: Node) => {
      for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
        seen++;
        const wants = dep.engines?.node;
        if (wants && !semver.satisfies(floor, wants)) tooNew.push(`${name}@${dep.version} wants node ${wants}`);
        walk(dep);
      }
    };
    walk(tree.dependencies!.seatstream!);
    expect(seen).toBeGreaterThan(50); // the whole runtime tree was walked, not an empty one
    expect(tooNew).toEqual([]);
    expect(semver.satisfies(process.version, own.engines.node)).toBe(true);
  });
});
