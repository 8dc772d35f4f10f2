import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../src/http/metrics.js';
import { dockerfileStages, type Instruction } from './dockerfile.js';

/**
 * The deployment files: the Dockerfile, .dockerignore, docker-compose.yml (with
 * deploy/nginx.compose.conf), the Prometheus rules and scrape example, the Grafana dashboard. The
 * runtime stage of the Dockerfile is repeated for real in production-start.test.ts.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/**
 * Whether a tool these checks need is here. In CI (CI=true) a missing tool is a failure, not a
 * skip; elsewhere the checks are skipped with a message saying why (as e2eEnabled does).
 */
function toolEnabled(suite: string, name: string, present: boolean, install: string): boolean {
  if (present) return true;
  if (process.env.CI === 'true')
    throw new Error(`${suite}: missing ${name} (${install}), and CI must run these checks`);
  console.warn(`SKIPPED ${suite}: missing ${name} (${install})`);
  return false;
}

function run(command: string, args: string[], cwd = ROOT): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}` };
}

// ---------------------------------------------------------------------------------------------
// Metric names

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or']);
for (const word of ['unless', 'offset', 'inf', 'nan', 'atan2']) PROMQL_WORDS.add(word);

/**
 * The metric names a PromQL expression reads: what is left of it once strings, label matchers,
 * ranges and grouping clauses are gone, minus function names (followed by `(`), keywords and numbers.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.:$])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)].map((m) => m[0]);
  return names.filter((name) => !PROMQL_WORDS.has(name.toLowerCase()));
}

/** Every series name the app's registry exposes (histograms as _bucket, _sum, _count), and Prometheus's `up`. */
async function knownSeries(): Promise<Set<string>> {
  const { registry } = createMetrics(() => 0);
  const known = new Set(['up']);
  for (const metric of await registry.getMetricsAsJSON()) {
    known.add(metric.name);
    const type = String(metric.type);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) known.add(metric.name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) known.add(metric.name + suffix);
  }
  return known;
}

describe('reading metric names from PromQL', () => {
  it('keeps the metrics and leaves functions, labels, strings, ranges, groupings and numbers out', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route!~".*/events", x="{b}"}[$__rate_interval])))' +
          ' / on (instance) group_left sum(rate(b_total[5m] offset 1h)) > 1e3 and c unless up == 0',
      ),
    ).toEqual(['a_bucket', 'b_total', 'c', 'up']);
    expect(metricNames('sum(rate(x_total{instance=~"$instance"}[5m])) by (instance)')).toEqual(['x_total']);
  });
});

// ---------------------------------------------------------------------------------------------
// Prometheus

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alertsFile = parseYaml(read('deploy/prometheus/alerts.yml')) as {
  groups: Array<{ name: string; rules: AlertRule[] }>;
};
const alertRules = alertsFile.groups.flatMap((group) => group.rules);

describe('deploy/prometheus/alerts.yml', () => {
  it('has alerts with a for:, a severity and a summary and description', () => {
    expect(alertRules.length).toBeGreaterThanOrEqual(8);
    const names = alertRules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of alertRules) {
      expect(rule.alert, JSON.stringify(rule)).toMatch(/^Seatstream[A-Z]\w+$/);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary?.trim(), rule.alert).toBeTruthy();
      expect(rule.annotations?.description?.trim(), rule.alert).toBeTruthy();
    }
  });

  it('watches what can go wrong: down, backend, 5xx, latency, pub/sub lag and losses, overflows, event loop', () => {
    const exprs = alertRules.map((rule) => rule.expr).join('\n');
    expect(exprs).toMatch(/\bup\{[^}]*\}\s*==\s*0/);
    expect(exprs).toMatch(/seatstream_backend_ready\s*==\s*0/);
    expect(exprs).toMatch(/seatstream_http_request_duration_seconds_count\{status_code=~"5\.\."\}/);
    for (const metric of [
      'seatstream_publish_to_write_seconds_bucket',
      'seatstream_redis_pubsub_lag_seconds_bucket',
      'seatstream_sse_overflow_disconnects_total',
      'seatstream_events_recovered_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(exprs).toContain(metric);
  });

  it('reads only metrics that exist (the registry of createMetrics, or up)', async () => {
    const known = await knownSeries();
    const used = new Set(alertRules.flatMap((rule) => metricNames(rule.expr)));
    expect(used.size).toBeGreaterThanOrEqual(8);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });
});

const withPromtool = toolEnabled(
  'promtool checks of deploy/prometheus',
  'promtool',
  run('promtool', ['--version']).status === 0,
  'apt-get install prometheus',
);

describe.skipIf(!withPromtool)('promtool', () => {
  it('check rules: the alert rules are valid', () => {
    const result = run('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('test rules: the alerts fire on what they are for, not on what is normal (alerts.test.yml)', () => {
    const result = run('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(result.status, result.output).toBe(0);
  });

  it('check config: the scrape example is valid, with its bearer token file beside it', () => {
    // promtool wants the credentials file to exist: a copy of the directory, with a token in it.
    const dir = mkdtempSync(join(tmpdir(), 'seatstream-prometheus-'));
    try {
      cpSync(join(ROOT, 'deploy', 'prometheus'), dir, { recursive: true });
      const config = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
        scrape_configs: Array<{
          job_name: string;
          metrics_path?: string;
          authorization?: { type?: string; credentials_file?: string };
        }>;
      };
      const job = config.scrape_configs.find((c) => c.job_name === 'seatstream');
      expect(job?.authorization?.type).toBe('Bearer');
      writeFileSync(join(dir, job!.authorization!.credentials_file!), 'a-metrics-token-of-16+-characters\n');
      const result = run('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
      expect(result.status, result.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Grafana

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { type?: string; uid?: string };
  definition?: string;
}
const dashboard = JSON.parse(read('deploy/grafana/seatstream.json')) as {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: Variable[] };
  panels: Panel[];
};
const allPanels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const graphs = allPanels.filter((panel) => panel.type !== 'row');
const exprs = graphs.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));

describe('deploy/grafana/seatstream.json', () => {
  const datasourceVar = dashboard.templating.list.find((v) => v.type === 'datasource');
  const datasourceRef = `\${${datasourceVar?.name}}`;

  it('is a dashboard with a Prometheus data source variable and an instance variable', () => {
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(datasourceVar?.query).toBe('prometheus');
    const instance = dashboard.templating.list.find((v) => v.name === 'instance');
    expect(instance?.type).toBe('query');
    expect(instance?.datasource).toEqual({ type: 'prometheus', uid: datasourceRef });
  });

  it('has panels with unique ids and non-overlapping places, querying the variable data source', () => {
    const ids = allPanels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(graphs.length).toBeGreaterThanOrEqual(14);
    for (const panel of allPanels) {
      const { x, y, w, h } = panel.gridPos;
      expect(panel.title, `panel ${panel.id}`).toBeTruthy();
      expect(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${panel.title}: gridPos`).toBe(true);
    }
    for (const [i, a] of allPanels.entries())
      for (const b of allPanels.slice(i + 1)) {
        const overlap =
          a.gridPos.x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
    for (const panel of graphs) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: datasourceRef });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      const refIds = panel.targets!.map((target) => target.refId);
      expect(new Set(refIds).size, `${panel.title}: refIds`).toBe(refIds.length);
      for (const target of panel.targets!) {
        expect(target.datasource ?? panel.datasource, panel.title).toEqual(panel.datasource);
        // Every query follows the instance picker.
        expect(target.expr, panel.title).toContain('instance=~"$instance"');
      }
    }
  });

  it('shows what the brief asks for', () => {
    const text = exprs.join('\n');
    for (const metric of [
      'seatstream_sse_connections',
      'seatstream_sse_connections_total',
      'seatstream_publish_to_write_seconds_bucket',
      'seatstream_http_request_duration_seconds_bucket',
      'seatstream_http_request_duration_seconds_count',
      'seatstream_seat_mutations_total',
      'seatstream_frames_written_total',
      'seatstream_bytes_written_total',
      'seatstream_redis_pubsub_lag_seconds_bucket',
      'seatstream_events_recovered_total',
      'seatstream_sse_overflow_disconnects_total',
      'seatstream_backend_ready',
      'nodejs_eventloop_lag_seconds',
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
    ])
      expect(exprs.flatMap(metricNames), metric).toContain(metric);
    expect(text).toMatch(/histogram_quantile\(0\.5, [^\n]*seatstream_publish_to_write_seconds_bucket/);
    expect(text).toMatch(/histogram_quantile\(0\.99, [^\n]*seatstream_publish_to_write_seconds_bucket/);
    expect(text).toMatch(/status_code=~"4\.\."/);
    expect(text).toMatch(/status_code=~"5\.\."/);
  });

  it('queries only metrics that exist (the registry of createMetrics)', async () => {
    const known = await knownSeries();
    const fromVariables = dashboard.templating.list.flatMap((v) =>
      [...(v.definition ?? '').matchAll(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/g)].map((m) => m[1]!),
    );
    const used = new Set([...exprs.flatMap(metricNames), ...fromVariables]);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfile

describe('Dockerfile', () => {
  const [preamble = [], ...stages] = dockerfileStages(read('Dockerfile'));
  const build = stages[0] ?? [];
  const runtime = stages.at(-1) ?? [];
  const args = Object.fromEntries(
    preamble.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]),
  );
  const image = (from: Instruction): string =>
    from.args.split(/\s+/)[0]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
  const all = (stage: Instruction[], keyword: string): string[] =>
    stage.filter((i) => i.keyword === keyword).map((i) => i.args);
  const runs = (stage: Instruction[]): string => all(stage, 'RUN').join('\n');

  it('builds in a stage of its own and runs on the same slim Node 20 image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build[0]!.args).toMatch(/\bAS build$/i);
    for (const stage of stages) expect(image(stage[0]!)).toMatch(/^node:20[\w.-]*-slim$/);
    expect(runs(build)).toMatch(/\bnpm ci\b/);
    expect(runs(build)).toMatch(/\bnpm run build\b/);
  });

  it('installs runtime dependencies only, after dist/ and prepare.mjs are in place (prepare then does nothing)', () => {
    expect(all(runtime, 'ENV')).toContain('NODE_ENV=production');
    const install = runtime.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci --omit=dev\b/.test(i.args));
    expect(install).toBeGreaterThan(0);
    const copied = (path: RegExp) => runtime.findIndex((i) => i.keyword === 'COPY' && path.test(i.args));
    expect(copied(/^--from=build \/app\/dist dist\/?$/)).toBeGreaterThan(0);
    expect(copied(/^--from=build \/app\/dist dist\/?$/)).toBeLessThan(install);
    expect(copied(/scripts\/prepare\.mjs/)).toBeLessThan(install);
    expect(copied(/package\.json package-lock\.json/)).toBeLessThan(install);
    expect(copied(/^--from=build \/app\/public public\/?$/)).toBeGreaterThan(0);
  });

  it('runs as a user other than root', () => {
    const user = all(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('runs node dist/main.js in exec form (SIGTERM reaches Node), exposes 3000, probes /healthz without curl', () => {
    expect(all(runtime, 'ENTRYPOINT')).toEqual([]);
    const cmd = all(runtime, 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]!)).toEqual(['node', 'dist/main.js']);
    expect(all(runtime, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(all(runtime, 'EXPOSE')).toEqual(['3000']);
    const healthcheck = all(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    const [, probe = ''] = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck[0]!) ?? [];
    const argv = JSON.parse(probe) as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv.join(' ')).toContain('/healthz');
    expect(healthcheck[0]).not.toMatch(/\b(curl|wget)\b/);
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  /** Docker's matching, simplified: patterns from the context's root, `*` within a segment, `**` across. */
  function ignored(path: string): boolean {
    let result = false;
    for (const raw of patterns) {
      const negated = raw.startsWith('!');
      const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      const regex = new RegExp(`^${source}$`);
      const segments = path.split('/');
      // A pattern that matches a directory leaves out everything under it.
      for (let i = 1; i <= segments.length; i++)
        if (regex.test(segments.slice(0, i).join('/'))) {
          result = !negated;
          break;
        }
    }
    return result;
  }

  it('keeps out what the image must not get (node_modules, dist, .git, tests, coverage, bench results)', () => {
    for (const path of ['node_modules/x/index.js', 'dist/main.js', '.git/HEAD', 'coverage/index.html'])
      expect(ignored(path), path).toBe(true);
    for (const path of ['test/config.test.ts', 'bench/results/r.json', 'test-results/e2e/a.png', 'public/build/app.js'])
      expect(ignored(path), path).toBe(true);
  });

  it('lets in every file the build stage needs', () => {
    const tracked = run('git', ['ls-files']).output.split('\n').filter(Boolean);
    const needed = tracked.filter((path) =>
      /^(src\/|public\/|scripts\/|package\.json$|package-lock\.json$|tsconfig(\.build)?\.json$)/.test(path),
    );
    expect(needed.length).toBeGreaterThan(50);
    expect(needed.filter(ignored)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml and deploy/nginx.compose.conf

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  stop_grace_period?: string;
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
}

/** A `location / { … }` block's directives, without comments, one per entry. */
function rootLocation(conf: string): string[] {
  const text = conf.replace(/#.*$/gm, '');
  const start = text.search(/location\s+\/\s*\{/);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = text.slice(text.indexOf('{', start) + 1, text.indexOf('}', start));
  return body
    .split(';')
    .map((directive) => directive.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

const composeText = read('docker-compose.yml');
const compose = parseYaml(composeText) as { services: Record<string, ComposeService> };
const composeNginx = read('deploy/nginx.compose.conf');

describe('docker-compose.yml', () => {
  const services = compose.services;
  const instances = Object.entries(services).filter(([, service]) => service.build !== undefined);

  it('parses, with Redis, two seatstream instances built from the Dockerfile, and nginx', () => {
    expect(services.redis?.image).toMatch(/^redis:/);
    expect(instances.map(([name]) => name)).toEqual(['seatstream-1', 'seatstream-2']);
    expect(services.nginx?.image).toMatch(/^nginx:/);
  });

  it('uses only well-formed variable interpolations (compose reads every $ outside comments)', () => {
    const uses = [...composeText.replace(/^\s*#.*$/gm, '').matchAll(/\$(\{[^}]*\}|.)/g)].map((m) => m[0]);
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const use of uses) expect(use).toMatch(/^\$\{[A-Z_][A-Z0-9_]*(:?[-?+][^}$]*)?\}$/);
  });

  it('gives every instance the same Redis and required shared secrets, and trusts nginx as the proxy', () => {
    const nginxNetworks = services.nginx?.networks as Record<string, { ipv4_address?: string }>;
    const nginxAddress = Object.values(nginxNetworks)[0]?.ipv4_address;
    expect(nginxAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const [name, service] of instances) {
      const env = service.environment ?? {};
      expect(env.REDIS_URL, name).toBe('redis://redis:6379');
      for (const variable of ['SESSION_SECRET', 'ADMIN_TOKEN', 'METRICS_TOKEN'])
        expect(env[variable], `${name} ${variable}`).toMatch(new RegExp(`^\\$\\{${variable}:\\?.+\\}$`));
      expect(env.TRUST_PROXY, name).toBe(nginxAddress);
      // Docker's default is 10 s, then SIGKILL: the drain (5 s) and the grace period (5 s) need more.
      expect(Number.parseInt(service.stop_grace_period ?? '10s', 10), name).toBeGreaterThan(10);
    }
  });

  it("mounts deploy/nginx.compose.conf, whose upstream is the instances' port 3000", () => {
    expect(services.nginx?.volumes).toContainEqual(
      expect.stringMatching(/^\.\/deploy\/nginx\.compose\.conf:\/etc\/nginx\/conf\.d\/\S+\.conf(:ro)?$/),
    );
    const [, upstream = ''] = /upstream\s+seatstream\s*\{([^}]*)\}/.exec(composeNginx) ?? [];
    const servers = [...upstream.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]);
    expect(servers).toEqual(instances.map(([name]) => `${name}:3000`));
  });

  it('proxies like deploy/nginx.conf (the same location / directives)', () => {
    expect(rootLocation(composeNginx)).toEqual(rootLocation(read('deploy/nginx.conf')));
  });
});

const nginxBinary = ['nginx', '/usr/sbin/nginx'].find((binary) => run(binary, ['-v']).status === 0);
const withNginx = toolEnabled(
  'nginx -t of deploy/nginx.compose.conf',
  'nginx',
  nginxBinary !== undefined,
  'apt-get install nginx',
);

describe.skipIf(!withNginx)('deploy/nginx.compose.conf', () => {
  it('passes nginx -t (with the service names pointed at loopback)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seatstream-nginx-compose-'));
    try {
      // nginx resolves upstream names when it reads its configuration: outside compose there are none.
      writeFileSync(join(dir, 'seatstream.conf'), composeNginx.replace(/seatstream-\d+:3000/g, '127.0.0.1:3000'));
      const main = [
        `error_log ${dir}/error.log;`,
        'events {}',
        'http {',
        '  access_log off;',
        `  client_body_temp_path ${dir}/client_body;`,
        `  proxy_temp_path ${dir}/proxy;`,
        `  include ${dir}/seatstream.conf;`,
        '}',
      ];
      writeFileSync(join(dir, 'nginx.conf'), main.join('\n'));
      const result = run(nginxBinary!, [
        '-t',
        '-p',
        `${dir}/`,
        '-c',
        `${dir}/nginx.conf`,
        '-e',
        `${dir}/error.log`,
        '-g',
        `pid ${dir}/nginx.pid;`,
      ]);
      expect(result.status, result.output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
