import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/support/browser.js';
import { startInstance } from '../e2e/support/instances.js';
import { type BlockResult, type DocExamples, extractExamples, runExamples } from './shell-examples.js';

/**
 * The curl examples of README.md and docs/*.md, run against a real server, so that none drifts from
 * the code again. Each file gets a server of its own: the process entry from source
 * (`node --import tsx src/main.ts`; `npm start` runs it compiled) on a free loopback port, with the
 * variables of the file's setup block (see shell-examples.ts) besides what every test instance gets
 * (test/e2e/support/instances.ts: no shutdown drain, warnings only in the log). Its examples run in
 * order in one shell, as a reader would run them in one terminal. An example passes when every
 * command in it succeeds: curl gets an answer below 400 (a stream: 200, then cut off after a second).
 */
const FILES = [
  'README.md',
  ...readdirSync(`${ROOT}docs`)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

/**
 * Files whose examples are not yet written for this test (no setup block, variables they use left
 * undefined, ids of another server). Their owners adopt the setup block and take them off this list.
 */
const NOT_YET: Record<string, string> = {};

/**
 * curl and bash run the examples. Without them the suite is skipped with a message, except under
 * CI=true, where that is a failure (as for the Redis and browser suites).
 */
const tools = ['curl', 'bash'].filter((tool) => spawnSync(tool, ['--version']).status !== 0);
if (tools.length > 0) {
  const message = `curl examples: ${tools.join(' and ')} not found (install ${tools.join(' and ')} to run them)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`SKIPPED ${message}`);
}

const docs: DocExamples[] = FILES.map((file) => extractExamples(file, readFileSync(`${ROOT}${file}`, 'utf8')));
const tally = { ran: 0, skipped: 0, why: [] as string[] };
/** DOCS_EXAMPLES_VERBOSE=1 prints what every example printed (to check its answers by eye). */
const verbose = Boolean(process.env.DOCS_EXAMPLES_VERBOSE);

afterAll(() => {
  const files = docs.filter((d) => d.examples.length > 0).length;
  console.log(
    `curl examples: ${tally.ran} run, ${tally.skipped} skipped, in ${files} files\n` +
      tally.why.map((s) => `  skipped ${s}`).join('\n'),
  );
});

function report(file: string, results: BlockResult[]): string {
  return results
    .filter((r) => !r.ok)
    .map((r) => `${file}:${r.line}\n${r.output.replace(/^/gm, '    ')}`)
    .join('\n\n');
}

describe.skipIf(tools.length > 0)('the curl examples of the docs', () => {
  it('are there: every file is read, and there are examples to run', () => {
    expect(FILES).toContain('docs/api.md');
    const runnable = docs
      .filter((d) => !(d.file in NOT_YET))
      .flatMap((d) => d.examples)
      .filter((e) => e.skip === undefined);
    // A change to the extraction that finds nothing must not pass as "all examples work".
    expect(runnable.length).toBeGreaterThanOrEqual(10);
    for (const file of Object.keys(NOT_YET)) expect(FILES).toContain(file);
  });

  for (const doc of docs) {
    if (doc.examples.length === 0) continue;
    const pending = NOT_YET[doc.file];
    it.skipIf(pending !== undefined)(
      `${doc.file}: every example answers below 400`,
      async () => {
        for (const e of doc.examples.filter((x) => x.skip !== undefined)) {
          tally.skipped++;
          tally.why.push(`${doc.file}:${e.line} (${e.skip})`);
        }
        const instance = await startInstance('docs', 0, doc.setup?.env ?? {});
        try {
          const results = await runExamples(doc, instance.port);
          const setupOffset = doc.setup ? 1 : 0;
          tally.ran += results.length - setupOffset;
          if (verbose)
            for (const r of results) console.log(`${doc.file}:${r.line} ${r.ok ? 'ok' : 'FAILED'}\n${r.output}\n`);
          expect(report(doc.file, results), `failed examples (server output:\n${instance.output()})`).toBe('');
          expect(results.length - setupOffset).toBe(doc.examples.filter((e) => e.skip === undefined).length);
        } finally {
          await instance.kill('SIGTERM');
        }
      },
      120_000,
    );
    if (pending !== undefined) {
      tally.skipped += doc.examples.length;
      tally.why.push(`${doc.file}: all ${doc.examples.length} examples (not written for this test yet: ${pending})`);
    }
  }
});

describe.skipIf(tools.length > 0)('the example runner', () => {
  const broken = extractExamples(
    'broken.md',
    [
      '<!-- examples: setup -->',
      '```sh',
      'ADMIN_TOKEN=a-token-of-16-or-more npm start',
      'BASE=http://localhost:3000',
      'ADMIN_TOKEN=a-token-of-16-or-more',
      '```',
      '```sh',
      'curl -s $BASE/api/schedules/1/seats > /dev/null',
      '```',
      '```sh',
      'curl -s $BASE/api/schedules/2/seats        # 404: schedule 2 does not exist',
      '```',
      '```sh',
      'TOKEN=$(curl -s -X POST $BASE/api/nothing | sed s/a/b/)',
      'echo after',
      '```',
      '```sh',
      'curl -N "$BASE/api/events?schedules=1,2"',
      '```',
      '```sh',
      'curl -N $BASE/api/schedules/1/seats/events',
      'curl -s -X PUT $BASE/api/schedules/2 -H "Authorization: Bearer $ADMIN_TOKEN" \\',
      '  -H \'Content-Type: application/json\' -d \'{"rows":1,"seatsPerRow":2}\'',
      '```',
      '<!-- not run: needs AUTH_JWT_SECRET -->',
      '```sh',
      'curl -s $BASE/never',
      '```',
    ].join('\n'),
  );

  it('reads the setup, the examples and the skipped ones', () => {
    expect(broken.setup).toMatchObject({ line: 2, env: { ADMIN_TOKEN: 'a-token-of-16-or-more' } });
    expect(broken.setup!.text).not.toMatch(/npm start/);
    expect(broken.examples.map((e) => [e.line, e.skip])).toEqual([
      [7, undefined],
      [10, undefined],
      [13, undefined],
      [17, undefined],
      [20, undefined],
      [26, 'needs AUTH_JWT_SECRET'],
    ]);
  });

  it('fails a block on a 4xx, in a pipeline, and on a stream refused; passes a stream cut off', async () => {
    const instance = await startInstance('docs-runner', 0, broken.setup!.env);
    try {
      const results = await runExamples(broken, instance.port);
      expect(results.map((r) => [r.line, r.ok])).toEqual([
        [2, true], // the setup
        [7, true],
        [10, false], // 404
        [13, false], // 404 inside $(… | sed), while the block's later command still runs
        [17, false], // a stream of an unknown schedule: 404, not a time-out
        [20, true], // a stream cut off after a second, then a PUT with the service token
      ]);
      expect(results[2]!.output).toMatch(/SCHEDULE_NOT_FOUND[\s\S]*>>> exit 22: curl -s http/);
      expect(results[3]!.output).toMatch(/after/);
    } finally {
      await instance.kill('SIGTERM');
    }
  }, 60_000);
});
