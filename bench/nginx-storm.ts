/**
 * W6's reconnect storm with the holds sent through nginx (deploy/nginx.conf), with the file as
 * shipped and with its upstream `keepalive` taken out (docs/benchmarks.md, Reconnect storms, and
 * operations.md, Behind nginx): how many holds sent during the storm waited, and how long. A new
 * connection to the instance waits in its accept queue behind the reopening streams; nginx keeps
 * the connections it has opened only with `keepalive`. The streams connect to the instance
 * directly, as in W6. ROUNDS rounds of each, interleaved. Needs nginx.
 * `npx tsx bench/nginx-storm.ts` (about 10 s a round).
 */
import { startNginx } from '../test/e2e/support/nginx.js';
import { buildServers, startSeatstream } from './lib/processes.js';
import { type StormResult, type StormSpec, storm } from './lib/storm.js';

const ROUNDS = Number(process.env.ROUNDS ?? 2);
/** W6 of the full run (bench/run.ts). */
const SPEC: StormSpec = {
  scenario: 'W6',
  clients: 3_000,
  stayers: 1_000,
  rate: 10,
  steadyMs: 5_000,
  tailMs: 1_000,
  timeoutMs: 60_000,
  workers: 4,
  schedule: 600,
};

const KEEPALIVE = /^ *keepalive(_timeout)? [^\n]*;\n/gm;

/** deploy/nginx.conf without its upstream keepalive; fails if the file no longer has the two lines. */
function withoutKeepalive(conf: string): string {
  const lines = conf.match(KEEPALIVE) ?? [];
  if (lines.length !== 2)
    throw new Error(`deploy/nginx.conf: expected keepalive and keepalive_timeout, found ${lines}`);
  return conf.replace(KEEPALIVE, '');
}

async function round(keepalive: boolean): Promise<StormResult> {
  const server = await startSeatstream();
  try {
    const nginx = await startNginx(0, [`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`], {
      ...(!keepalive && { edit: withoutKeepalive }),
    });
    try {
      const name = `holds via nginx, keepalive ${keepalive ? 'on' : 'off'}`;
      // The holds (and the set-up) through nginx; the storm clients and the stayers to the instance.
      return await storm(
        SPEC,
        { name, from: server, to: { ...server, url: nginx.url }, kill: false, resumes: true },
        () => {},
      );
    } finally {
      await nginx.stop();
    }
  } finally {
    await server.stop();
  }
}

buildServers();
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
console.log(
  '| upstream keepalive | holds sent during the storm | over 200 ms | holds p99 during ms | ' +
    'stayers p99 from the change ms | caught up 100 % ms |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (let r = 0; r < ROUNDS; r++) {
  for (const keepalive of [true, false]) {
    const result = await round(keepalive);
    console.log(
      `| ${keepalive ? 'on' : 'off'} | ${result.holdsDuring} | ${result.slowHoldsDuring} | ` +
        `${ms(result.holdP99DuringMs)} | ${ms(result.stayChangeP99DuringMs)} | ${ms(result.caughtUpAllMs)} |`,
    );
  }
}
