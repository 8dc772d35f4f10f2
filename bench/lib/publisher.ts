import http from 'node:http';
import { Histogram } from './histogram.js';

export type Published = Record<number, { first: number; times: number[] }>;

interface Target {
  url: string;
  /** Bearer token for seatstream; the baseline ignores it. */
  token: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs `{ seatIds: [seat] }`; resolves with the status and the event id of the answer. */
export function post(target: Target, path: string, seat: number): Promise<{ status: number; eventId?: string }> {
  const body = `{"seatIds":[${seat}]}`;
  return new Promise((resolve) => {
    const request = http.request(
      target.url + path,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${target.token}`,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let eventId: string | undefined;
          try {
            eventId = (JSON.parse(text) as { eventId?: string }).eventId;
          } catch {
            // not JSON: counted as a failure by the caller
          }
          resolve({ status: response.statusCode ?? 0, eventId });
        });
      },
    );
    request.on('error', () => resolve({ status: 0 }));
    request.end(body);
  });
}

/**
 * Publishes seat changes at `rate` per second for `durationMs` by real hold/release requests,
 * one seat (so one event) per request, spread round-robin over the schedules. Each schedule
 * holds all its seats in turn, then releases them in turn. Records the
 * monotonic time each request was sent, by the event id the server answered with.
 */
export async function publishAtRate(
  target: Target,
  options: {
    schedules: number[];
    rate: number;
    durationMs: number;
    seats: number;
    /**
     * Requests made so far per schedule; kept by the caller across runs on one server, so the
     * hold/release cycle continues where it stopped.
     */
    counters: Map<number, number>;
  },
): Promise<{
  published: Published;
  startNs: number;
  sent: number;
  failed: number;
  /** Failed requests by status (0: no answer; 200: an answer without an event id). */
  failures: Record<number, number>;
}> {
  const sentAt = new Map<number, Map<number, number>>();
  const counters = options.counters;
  // Every seat in the cycle: a release comes a full cycle after its hold, never overtaking it.
  const K = options.seats;
  const inflight: Promise<void>[] = [];
  let sent = 0;
  let failed = 0;
  const failures: Record<number, number> = {};
  const startNs = Number(process.hrtime.bigint());
  const started = Date.now();
  const total = Math.round((options.rate * options.durationMs) / 1000);

  const fire = (): void => {
    const schedule = options.schedules[sent % options.schedules.length]!;
    sent++;
    const i = counters.get(schedule) ?? 0;
    counters.set(schedule, i + 1);
    const op = Math.floor(i / K) % 2 === 0 ? 'hold' : 'release';
    const at = Number(process.hrtime.bigint());
    inflight.push(
      post(target, `/api/schedules/${schedule}/seats/${op}`, (i % K) + 1).then(({ status, eventId }) => {
        if (status !== 200 || !eventId) {
          failed++;
          failures[status] = (failures[status] ?? 0) + 1;
          return;
        }
        let times = sentAt.get(schedule);
        if (!times) sentAt.set(schedule, (times = new Map()));
        times.set(Number(eventId.split('@')[0]), at);
      }),
    );
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((options.rate * (Date.now() - started)) / 1000));
      while (sent < due) fire();
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  await Promise.all(inflight);

  const published: Published = {};
  for (const [schedule, times] of sentAt) {
    const offsets = [...times.keys()].sort((a, b) => a - b);
    const first = offsets[0]!;
    published[schedule] = { first, times: offsets.map((o) => times.get(o)!) };
  }
  return { published, startNs, sent, failed, failures };
}

/** Closed-loop request throughput: `concurrency` clients each hold then release their own seat. */
export async function requestThroughput(
  target: Target,
  options: { schedule: number; concurrency: number; durationMs: number },
): Promise<{ requests: number; failed: number; perSecond: number; histogram: Histogram }> {
  const histogram = new Histogram();
  let requests = 0;
  let failed = 0;
  const deadline = Date.now() + options.durationMs;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, c) => {
      const seat = c + 1;
      for (let i = 0; Date.now() < deadline; i++) {
        const t0 = process.hrtime.bigint();
        const { status } = await post(
          target,
          `/api/schedules/${options.schedule}/seats/${i % 2 === 0 ? 'hold' : 'release'}`,
          seat,
        );
        histogram.record(Number(process.hrtime.bigint() - t0) / 1e6);
        requests++;
        if (status !== 200) failed++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { requests, failed, perSecond: requests / seconds, histogram };
}
