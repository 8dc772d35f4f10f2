import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Dependencies point downwards (docs/architecture.md, Layers): each folder of `src/` may import
 * only the folders listed for it, and packages only where listed. The client runs in browsers,
 * so it may import the protocol module and nothing else of the server.
 */
/**
 * rxjs as the server loads it: the modules of the classes it uses. `rxjs` itself (its index) loads
 * every operator, about 5-7 MB of a process at rest: only types come from there.
 */
const RXJS = /^rxjs(\/internal\/(Observable|Subscriber|config))?$/;

const ALLOWED: Record<string, { folders: string[]; packages: RegExp }> = {
  protocol: { folders: [], packages: /^$/ },
  client: { folders: ['protocol'], packages: /^$/ },
  sinks: { folders: [], packages: RXJS },
  bus: { folders: ['protocol'], packages: /^$/ },
  auth: { folders: ['protocol'], packages: /^(jose|node:crypto)$/ },
  seats: { folders: ['protocol', 'bus'], packages: /^$/ },
  // perf_hooks: a topic paces its hand-overs by the event loop's utilization (hand-over-pacer.ts).
  hub: { folders: ['protocol', 'bus', 'sinks'], packages: new RegExp(`${RXJS.source}|^node:perf_hooks$`) },
  backends: { folders: ['protocol', 'bus', 'seats', 'auth', 'config.ts'], packages: /^(ioredis|node:.*)$/ },
  http: {
    folders: ['protocol', 'bus', 'auth', 'seats', 'hub', 'backends', 'config.ts'],
    packages: new RegExp(
      `^(fastify|fastify-plugin|fastify-sse-v2|@fastify/.*|ajv|cookie|helmet|prom-client|node:.*)$|${RXJS.source}`,
    ),
  },
  // The testing kit (seatstream/testing) drives the app as a user's test would: through buildApp,
  // the config and the protocol's wire types, never the layers beneath.
  testing: { folders: ['protocol', 'http', 'config.ts'], packages: /^(ioredis|node:.*)$/ },
};

const SRC = resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'|\bimport\('([^']+)'\)/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
}

/** The top folder of src/ a path is in (or the root file's name). */
function layer(path: string): string {
  return relative(SRC, path).split('/')[0]!.replace(/\.js$/, '.ts');
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const from = layer(file);
    const rules = ALLOWED[from];
    if (!rules) continue; // main.ts, index.ts, config.ts: the top, they may import anything
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) {
        if (!rules.packages.test(spec)) found.push(`${relative(SRC, file)} imports package ${spec}`);
        continue;
      }
      const to = layer(resolve(dirname(file), spec));
      if (to !== from && !rules.folders.includes(to)) found.push(`${relative(SRC, file)} imports ${spec}`);
    }
  }
  return found;
}

describe('architecture', () => {
  it('every folder of src/ imports only what lies below it; the client only the protocol', () => {
    expect(violations()).toEqual([]);
  });

  it("takes only types from rxjs's index, whose import would load all of rxjs", () => {
    const valueImports = sources(SRC).filter((file) =>
      /(?:^|\n)\s*import\s+(?!type\b)[^;]*?\bfrom\s+'rxjs'/.test(readFileSync(file, 'utf8')),
    );
    expect(valueImports.map((file) => relative(SRC, file))).toEqual([]);
  });

  it('finds the imports it checks (the check itself works)', () => {
    const client = sources(join(SRC, 'client')).flatMap(imports);
    expect(client).toContain('../protocol/event-id.js');
    expect(sources(join(SRC, 'backends')).flatMap(imports)).toContain('ioredis');
  });

  it('the demo page uses the client library only', () => {
    const page = resolve(import.meta.dirname, '../public/app');
    const outside = sources(page)
      .flatMap((file) => imports(file).map((spec) => resolve(dirname(file), spec)))
      .filter((path) => !path.startsWith(page) && !path.startsWith(join(SRC, 'client')));
    expect(outside).toEqual([]);
  });
});
