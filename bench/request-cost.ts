/**
 * What one request costs the server, seatstream beside the baseline (docs/benchmarks.md, "Where W3
 * stands" and "Reconnect storms"), measured apart from any fan-out:
 * - a hold or release of one seat: 8 clients on keep-alive connections (W5's loop), no subscriber;
 * - a stream reconnect: 2,000 streams closed at once and reopened with `Last-Event-ID` at the head
 *   (nothing to catch up on), the close included.
 * Server CPU is utime + stime from /proc, over ROUNDS rounds after a warm-up one; each line gives
 * the median and the range. `npx tsx bench/request-cost.ts` (about 35 s).
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMicros } from './lib/proc-stats.js';
import { buildServers, type ServerHandle, startBaseline, startSeatstream } from './lib/processes.js';
import { post, requestThroughput } from './lib/publisher.js';
import { setUp } from './lib/scenario.js';

const SCHEDULE = 700;
/** How long each round of seat changes runs. */
const REQUESTS_MS = 2_500;
const CLIENTS = 8;
const STREAMS = 2_000;
const ROUNDS = 4;
/** The seat of the hold that makes the head streams resume from: the clients of `requests` use seats 1–8. */
const HEAD_SEAT = 150;

/** Server CPU (µs) per unit of work, once to warm up and then ROUNDS times; `run` says how many units it did. */
async function perUnit(server: ServerHandle, run: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const before = cpuMicros(server.pid);
    const units = await run();
    if (round > 0) results.push((cpuMicros(server.pid) - before) / units);
  }
  return results;
}

/** Holds and releases of one seat each, W5's closed loop: every client on a seat of its own. */
async function requests(server: ServerHandle, token: string): Promise<number> {
  const target = { url: server.url, token };
  const run = await requestThroughput(target, { schedule: SCHEDULE, concurrency: CLIENTS, durationMs: REQUESTS_MS });
  if (run.failed > 0) throw new Error(`${server.name}: ${run.failed} seat changes failed`);
  return run.requests;
}

/** A stream, resolved once its response headers have arrived. */
function openStream(server: ServerHandle, lastEventId: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let head = '';
    socket.setEncoding('latin1');
    const onData = (text: string) => {
      head += text;
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume(); // what follows (heartbeats) is read and dropped
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(
      `GET /api/schedules/${SCHEDULE}/seats/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n` +
        `Last-Event-ID: ${lastEventId}\r\n\r\n`,
    );
  });
}

async function openStreams(server: ServerHandle, lastEventId: string): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let at = 0; at < STREAMS; at += 200) {
    const batch = Array.from({ length: Math.min(200, STREAMS - at) }, () => openStream(server, lastEventId));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function measure(server: ServerHandle): Promise<{ request: number[]; reconnect: number[] }> {
  const token = await setUp(server, 1, SCHEDULE);
  const request = await perUnit(server, () => requests(server, token));
  // The head: one more hold, whose id every stream resumes from.
  const { eventId } = await post({ url: server.url, token }, `/api/schedules/${SCHEDULE}/seats/hold`, HEAD_SEAT);
  if (!eventId) throw new Error(`${server.name}: the head hold failed`);
  let sockets = await openStreams(server, eventId);
  const reconnect = await perUnit(server, async () => {
    for (const socket of sockets) socket.destroy();
    await sleep(300); // the server has seen them go
    sockets = await openStreams(server, eventId);
    return STREAMS;
  });
  for (const socket of sockets) socket.destroy();
  return { request, reconnect };
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
  return `${median.toFixed(0)} (${sorted[0]!.toFixed(0)}–${sorted[sorted.length - 1]!.toFixed(0)})`;
}

buildServers();
console.log('| server | CPU µs per hold or release | CPU µs per reconnect (its close included) |');
console.log('| ------ | -------------------------- | ----------------------------------------- |');
for (const start of [startBaseline, () => startSeatstream()]) {
  const server = await start();
  try {
    const { request, reconnect } = await measure(server);
    console.log(`| ${server.name} | ${summary(request)} | ${summary(reconnect)} |`);
  } finally {
    await server.stop();
  }
}
