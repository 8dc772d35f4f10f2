import type { FanoutResult, IdleResult, RestResult } from './scenario.js';
import { fmt } from './scenario.js';
import type { StormResult } from './storm.js';
import type { VenueResult } from './venue.js';

export interface ThroughputResult {
  scenario: string;
  store: string;
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
}

export interface Report {
  date: string;
  machine: { cpus: string; cores: number; memoryGiB: number; node: string; kernel: string };
  mode: 'smoke' | 'full';
  /** W0: the compiled server at rest. */
  rest: RestResult[];
  idle: IdleResult[];
  fanout: FanoutResult[];
  throughput: ThroughputResult[];
  /** Highest rate at which seatstream's p99 stayed under 100 ms, where it fell behind at the top rate. */
  sustainable: Array<{ scenario: string; subscribers: number; rate: number; p99Ms: number }>;
  /** W6: reconnect storms. */
  storm: StormResult[];
  /** W7: a 100,000-seat venue. */
  venue: VenueResult[];
}

/** W7's targets (issue 17), from the phase with browsers' encodings (the first). */
export function venueTargets(r: VenueResult) {
  const [main] = r.phases;
  const snapshots = [
    ...r.quietMissMs,
    ...r.quietHitMs,
    ...r.phases.flatMap((p) => [...p.snapshotNew, ...p.snapshotSeen]),
  ];
  const slowestSnapshotMs = Math.max(...snapshots);
  const holdRatio = r.holdHeldP50Ms / r.holdEmptyP50Ms;
  return {
    slowestSnapshotMs,
    snapshotUnder1s: slowestSnapshotMs < 1_000,
    healthzP99Under50: (main?.healthzP99Ms ?? Infinity) < 50,
    holdToEventP99Under100: Math.max(main?.p99Ms ?? Infinity, main?.watcherP99Ms ?? Infinity) < 100,
    holdRatio,
    holdRatioAtMost1_5: holdRatio <= 1.5,
  };
}

/**
 * W6, seatstream beside the baseline in the same run: seatstream's time until every storm client
 * had resumed without a gap ÷ the baseline's until it had merely reopened; the CPU the storm cost
 * (over the steady state, and in all); the stayers' p99 during the storm ÷ before it.
 */
export function stormRatios(report: Report) {
  const base = report.storm.find((r) => r.scenario === 'W6' && r.server === 'baseline');
  const ours = report.storm.find((r) => r.scenario === 'W6' && r.server === 'seatstream');
  if (!base || !ours) return undefined;
  return {
    caughtUpAllVsReopenedAll: ours.caughtUpAllMs / base.reopenedAllMs,
    caughtUp99VsReopened99: ours.caughtUp99Ms / base.reopened99Ms,
    reopenedAll: ours.reopenedAllMs / base.reopenedAllMs,
    excessCpu: ours.excessCpuMs / base.excessCpuMs,
    stormCpu: ours.stormCpuMs / base.stormCpuMs,
    stayP99DuringVsBefore: ours.stayP99DuringMs / ours.stayP99BeforeMs,
    baselineStayP99DuringVsBefore: base.stayP99DuringMs / base.stayP99BeforeMs,
  };
}

/** seatstream ÷ baseline for each fan-out run that both servers did. */
export function ratios(report: Report) {
  const rows = [];
  for (const ours of report.fanout.filter((r) => r.server === 'seatstream')) {
    const base = report.fanout.find(
      (r) =>
        r.server === 'baseline' &&
        r.scenario === ours.scenario &&
        r.subscribers === ours.subscribers &&
        r.rate === ours.rate,
    );
    if (!base) continue;
    rows.push({
      scenario: ours.scenario,
      subscribers: ours.subscribers,
      rate: ours.rate,
      throughput: ours.deliveredPerSecond / base.deliveredPerSecond,
      p99: ours.p99Ms / base.p99Ms,
      cpu: ours.cpuMicrosPerDelivery / base.cpuMicrosPerDelivery,
    });
  }
  return rows;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The results as Markdown tables (printed at the end, and pasted into docs/benchmarks.md). */
export function markdown(report: Report): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['scenario', 'server', 'RSS MB at rest', 'idle s'],
      report.rest.map((r) => [r.scenario, r.server, fmt(r.rssMB, 1), fmt(r.idleMs / 1000, 0)]),
    ),
  );
  parts.push(
    table(
      ['scenario', 'server', 'held', 'connections', 'RSS/conn KB', 'connect p50 ms', 'connect p99 ms', 'failed'],
      report.idle.map((r) => [
        r.scenario,
        r.server,
        String(r.held),
        String(r.connections),
        fmt(r.rssPerConnectionKB),
        fmt(r.connectP50Ms),
        fmt(r.connectP99Ms),
        String(r.failed),
      ]),
    ),
  );
  parts.push(
    table(
      [
        'scenario',
        'server',
        'subs',
        'schedules',
        'rate/s',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'CPU µs/delivery',
        'misses',
        'dups',
        'closed',
      ],
      report.fanout.map((r) => [
        r.scenario,
        r.server,
        String(r.subscribers),
        String(r.schedules),
        String(r.rate),
        fmt(r.deliveredPerSecond, 0),
        fmt(r.p50Ms),
        fmt(r.p99Ms),
        fmt(r.cpuMicrosPerDelivery, 2),
        String(r.misses),
        String(r.duplicates),
        String(r.closed),
      ]),
    ),
  );
  parts.push(
    table(
      ['scenario', 'subs', 'rate/s', 'throughput ×', 'p99 ×', 'CPU/delivery ×'],
      ratios(report).map((r) => [
        r.scenario,
        String(r.subscribers),
        String(r.rate),
        fmt(r.throughput, 2),
        fmt(r.p99, 2),
        fmt(r.cpu, 2),
      ]),
    ),
  );
  if (report.sustainable.length) {
    parts.push(
      table(
        ['scenario', 'subs', 'highest rate with p99 < 100 ms', 'p99 ms'],
        report.sustainable.map((s) => [s.scenario, String(s.subscribers), String(s.rate), fmt(s.p99Ms)]),
      ),
    );
  }
  parts.push(
    table(
      ['scenario', 'store', 'concurrency', 'requests/s', 'p50 ms', 'p99 ms', 'failed'],
      report.throughput.map((r) => [
        r.scenario,
        r.store,
        String(r.concurrency),
        fmt(r.requestsPerSecond, 0),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
        String(r.failed),
      ]),
    ),
  );
  if (report.storm.length) {
    parts.push(
      table(
        [
          'scenario',
          'server',
          'clients',
          'stay',
          'positions',
          'back 99 % ms',
          'back 100 % ms',
          'caught up 99 % ms',
          'caught up 100 % ms',
          'gaps',
          'dups',
          'failed',
          'overflows',
          'storm CPU ms',
          'over steady ms',
          'stay p99 before ms',
          'stay p99 during ms',
          'stay p99 from change before/during ms',
          'holds p99 before/during ms (> 200 ms)',
          'history reads',
        ],
        report.storm.map((r) => [
          r.scenario,
          r.server,
          String(r.clients),
          String(r.stayers),
          String(r.positions),
          fmt(r.reopened99Ms, 0),
          fmt(r.reopenedAllMs, 0) + (r.notReopened ? ` (${r.notReopened} not back)` : ''),
          fmt(r.caughtUp99Ms, 0),
          fmt(r.caughtUpAllMs, 0) + (r.notCaughtUp > 0 ? ` (${r.notCaughtUp} not)` : ''),
          String(r.gaps),
          String(r.duplicates),
          String(r.failures),
          String(r.listenOverflows),
          fmt(r.stormCpuMs, 0),
          fmt(r.excessCpuMs, 0),
          fmt(r.stayP99BeforeMs),
          fmt(r.stayP99DuringMs),
          `${fmt(r.stayChangeP99BeforeMs)} / ${fmt(r.stayChangeP99DuringMs)}`,
          `${fmt(r.holdP99BeforeMs)} / ${fmt(r.holdP99DuringMs)} (${r.slowHoldsDuring})`,
          r.historyReads === undefined ? '' : String(r.historyReads),
        ]),
      ),
    );
    const w6 = stormRatios(report);
    if (w6) {
      parts.push(
        table(
          [
            'W6 ratio',
            'caught up 100 % ÷ baseline back 100 %',
            'caught up 99 % ÷ baseline back 99 %',
            'over-steady CPU ×',
            'storm CPU ×',
            'stay p99 during ÷ before',
          ],
          [
            [
              'seatstream ÷ baseline',
              fmt(w6.caughtUpAllVsReopenedAll, 2),
              fmt(w6.caughtUp99VsReopened99, 2),
              fmt(w6.excessCpu, 2),
              fmt(w6.stormCpu, 2),
              `${fmt(w6.stayP99DuringVsBefore, 2)} (baseline ${fmt(w6.baselineStayP99DuringVsBefore, 2)})`,
            ],
          ],
        ),
      );
    }
  }
  if (report.venue.length) parts.push(...venueTables(report.venue));
  return parts.join('\n\n');
}

function venueTables(results: VenueResult[]): string[] {
  const range = (values: number[], digits = 0) =>
    values.length ? `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}` : '–';
  const yes = (met: boolean) => (met ? 'met' : 'NOT met');
  return [
    table(
      [
        'W7',
        'readers',
        'hold→event p50 / p99 ms',
        'watcher p99 ms',
        'misses',
        'dups',
        'holds 503 / reset',
        'GETs/s',
        'GET MB/s',
        'GET p50 / p99 ms',
        '/healthz p50 / p99 / max ms',
        'snapshots new / seen offset ms',
        'server / Redis cores',
      ],
      results.flatMap((r) =>
        r.phases.map((p) => [
          `${r.backend}, ${r.seats} seats, ${r.subscribers} subs`,
          `${r.readers} × ${p.encoding}`,
          `${fmt(p.p50Ms)} / ${fmt(p.p99Ms)}`,
          fmt(p.watcherP99Ms),
          String(p.misses + p.watcherMisses),
          String(p.duplicates + p.watcherDuplicates),
          `${p.failures[503] ?? 0} / ${p.failures[0] ?? 0} of ${p.sent}`,
          fmt(p.readerGetsPerSecond),
          fmt(p.readerMBPerSecond),
          `${fmt(p.readerP50Ms)} / ${fmt(p.readerP99Ms)}`,
          `${fmt(p.healthzP50Ms)} / ${fmt(p.healthzP99Ms)} / ${fmt(p.healthzMaxMs, 0)}`,
          `${range(p.snapshotNew)} / ${range(p.snapshotSeen)}`,
          `${fmt(p.serverCores, 2)} / ${p.redisCores === undefined ? '–' : fmt(p.redisCores, 2)}`,
        ]),
      ),
    ),
    table(
      [
        'W7',
        'quiet snapshot new / same offset ms',
        'RSS before / peak / after MB',
        'one-seat hold p50 (p99) ms: empty / beside held',
        'held',
        '×',
        'targets: snapshot < 1 s, /healthz p99 < 50, hold→event p99 < 100, hold ≤ 1.5×',
      ],
      results.map((r) => {
        const t = venueTargets(r);
        return [
          r.backend,
          `${range(r.quietMissMs)} / ${range(r.quietHitMs)}`,
          `${fmt(r.rssBeforeMB, 0)} / ${fmt(r.rssPeakMB, 0)} / ${fmt(r.rssAfterMB, 0)}`,
          `${fmt(r.holdEmptyP50Ms, 2)} (${fmt(r.holdEmptyP99Ms, 2)}) / ` +
            `${fmt(r.holdHeldP50Ms, 2)} (${fmt(r.holdHeldP99Ms, 2)})`,
          String(r.held),
          fmt(t.holdRatio, 2),
          [t.snapshotUnder1s, t.healthzP99Under50, t.holdToEventP99Under100, t.holdRatioAtMost1_5].map(yes).join(', '),
        ];
      }),
    ),
  ];
}

/**
 * Latency (p99) and CPU per delivery against subscribers, seatstream beside the baseline, at
 * 10 events/s on one schedule.
 */
export function svg(report: Report): string {
  const series = (server: string) =>
    report.fanout
      .filter((r) => r.server === server && r.scenario === 'W2' && r.rate === 10)
      .sort((a, b) => a.subscribers - b.subscribers);
  const ours = series('seatstream');
  const base = series('baseline');
  const panel = (x0: number, title: string, pick: (r: FanoutResult) => number, unit: string, log: boolean) => {
    const points = [...ours, ...base].map(pick).filter((v) => Number.isFinite(v) && v > 0);
    const max = Math.max(1e-9, ...points) * 1.15;
    // Latency spans orders of magnitude (ms for seatstream, seconds for a baseline that falls behind).
    const lo = log ? 10 ** Math.floor(Math.log10(Math.min(...points, max))) : 0;
    const scale = (v: number) =>
      log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(max) - Math.log10(lo)) : v / max;
    const subs = [...new Set([...ours, ...base].map((r) => r.subscribers))].sort((a, b) => a - b);
    const sx = (s: number) => x0 + 50 + (subs.length > 1 ? (subs.indexOf(s) / (subs.length - 1)) * 260 : 130);
    const sy = (v: number) => 250 - scale(v) * 200;
    const ticks = log
      ? Array.from({ length: Math.ceil(Math.log10(max / lo)) + 1 }, (_, i) => lo * 10 ** i).filter((t) => t <= max)
      : [];
    const line = (rows: FanoutResult[], color: string, dy: number) => {
      const points = rows.map((r) => `${sx(r.subscribers)},${sy(pick(r))}`).join(' ');
      return (
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>` +
        rows
          .map(
            (r) =>
              `<circle cx="${sx(r.subscribers)}" cy="${sy(pick(r))}" r="4" fill="${color}">` +
              `<title>${fmt(pick(r), 2)} ${unit}</title></circle>` +
              `<text x="${sx(r.subscribers) + 6}" y="${sy(pick(r)) + dy}" font-size="11" fill="${color}">` +
              `${fmt(pick(r), 1)}</text>`,
          )
          .join('')
      );
    };
    return (
      `<text x="${x0 + 180}" y="30" font-size="14" text-anchor="middle" font-weight="bold">${title}</text>` +
      `<line x1="${x0 + 40}" y1="250" x2="${x0 + 330}" y2="250" stroke="#888"/>` +
      `<line x1="${x0 + 40}" y1="45" x2="${x0 + 40}" y2="250" stroke="#888"/>` +
      ticks
        .map((t) => `<text x="${x0 + 36}" y="${sy(t) + 4}" font-size="10" text-anchor="end" fill="#666">${t}</text>`)
        .join('') +
      subs.map((s) => `<text x="${sx(s)}" y="268" font-size="11" text-anchor="middle">${s}</text>`).join('') +
      `<text x="${x0 + 185}" y="286" font-size="11" text-anchor="middle">` +
      'subscribers (one schedule, 10 events/s)</text>' +
      `<text x="${x0 + 12}" y="150" font-size="11" transform="rotate(-90 ${x0 + 12} 150)" text-anchor="middle">` +
      `${unit}${log ? ' (log)' : ''}</text>` +
      line(base, '#c0392b', 14) +
      line(ours, '#2471a3', -6)
    );
  };
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="740" height="330" viewBox="0 0 740 330" font-family="sans-serif">',
    '<rect width="740" height="330" fill="white"/>',
    panel(0, 'p99 latency', (r) => r.p99Ms, 'ms', true),
    panel(370, 'server CPU per delivery', (r) => r.cpuMicrosPerDelivery, 'µs', false),
    '<rect x="250" y="300" width="12" height="12" fill="#2471a3"/>' +
      '<text x="266" y="311" font-size="12">seatstream</text>',
    '<rect x="360" y="300" width="12" height="12" fill="#c0392b"/>' +
      '<text x="376" y="311" font-size="12">baseline (raw Node SSE)</text>',
    '<text x="730" y="324" font-size="10" text-anchor="end" fill="#666">' +
      `${report.date} · ${report.machine.cpus} ×${report.machine.cores}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
