/**
 * W7's map readers and snapshot takers, in a process of their own (forked by bench/lib/venue.ts
 * under tsx): 16 loops of 5.6 MB reads would otherwise share an event loop with the bench's
 * publisher and `/healthz` poller and be timed as the server's latency. Driven over IPC.
 */
import http from 'node:http';
import { Histogram } from './histogram.js';
import { timedGet } from './http-get.js';

export type VenueClientRequest =
  | { type: 'start'; url: string; schedule: number; readers: number; encoding: string; snapshotEveryMs: number }
  | { type: 'stop' }
  | { type: 'snapshot'; url: string; schedule: number }
  | { type: 'close' };

export interface SnapshotTaken {
  ms: number;
  /** The id of its `snapshot` event (the offset it reflects). */
  id: string;
  bytes: number;
  /** Another snapshot or a GET of this process had this offset before the request: the server had the map. */
  seen: boolean;
}

export type VenueClientReply =
  | { type: 'ok' }
  | {
      type: 'stopped';
      gets: number;
      failed: number;
      bytes: number;
      seconds: number;
      histogram: number[];
      snapshots: SnapshotTaken[];
      /** Seats in the last snapshot taken, parsed (0: none, or it did not parse). */
      snapshotSeats: number;
    }
  | { type: 'snapshot'; taken: SnapshotTaken | null };

const seen = new Set<string>();
let lastSnapshotData = '';

/**
 * Opens `?snapshot=true` and times it until the whole `snapshot` event has arrived (its block's
 * blank line), then closes. Not parsed here: a 5.6 MB JSON.parse would stall the readers' loops.
 */
function snapshot(url: string, schedule: number): Promise<SnapshotTaken | null> {
  const known = new Set(seen);
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const request = http.get(
      `${url}/api/schedules/${schedule}/seats/events?snapshot=true`,
      { agent: false, headers: { accept: 'text/event-stream' } },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return resolve(null);
        }
        response.setEncoding('latin1');
        // Chunks are searched one by one and joined once at the end: searching a growing string
        // flattens it each time, which made the client's share of a 5.6 MB snapshot ≈ 100 ms.
        const parts: string[] = [];
        let last = '';
        const blankLine = (text: string) => {
          const at = text.indexOf('\n\n');
          return at < 0 ? null : at;
        };
        response.on('data', (chunk: string) => {
          parts.push(chunk);
          // Where the block's blank line starts in this chunk (-1: on the last character of the previous one).
          let at = last === '\n' && chunk[0] === '\n' ? -1 : blankLine(chunk);
          last = chunk[chunk.length - 1] ?? '';
          while (at !== null) {
            const text = parts.join('');
            const end = text.length - chunk.length + at;
            const block = text.slice(0, end);
            chunk = text.slice(end + 2);
            parts.length = 0;
            parts.push(chunk);
            last = chunk[chunk.length - 1] ?? '';
            at = blankLine(chunk);
            if (!block.includes('event: snapshot')) continue;
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            const id = /^id: (.*)$/m.exec(block)?.[1] ?? '';
            lastSnapshotData = block.slice(block.indexOf('data: ') + 6);
            seen.add(id);
            request.destroy();
            return resolve({ ms, id, bytes: block.length, seen: known.has(id) });
          }
        });
        response.on('error', () => resolve(null));
      },
    );
    request.on('error', () => resolve(null));
  });
}

let running = false;
/** Ends the current run and reports it. */
let stopRun: (() => Promise<VenueClientReply>) | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

process.on('message', async (message: VenueClientRequest) => {
  const reply = (r: VenueClientReply) => process.send!(r);
  switch (message.type) {
    case 'start': {
      running = true;
      const histogram = new Histogram();
      const totals = { gets: 0, failed: 0, bytes: 0 };
      const snapshots: SnapshotTaken[] = [];
      const agent = new http.Agent({ keepAlive: true, maxSockets: message.readers });
      const mapUrl = `${message.url}/api/schedules/${message.schedule}/seats`;
      const headers = { 'accept-encoding': message.encoding };
      const startedNs = process.hrtime.bigint();
      // Anonymous readers in a closed loop, like pages (re)loading the map as fast as it comes.
      const readers = Array.from({ length: message.readers }, async () => {
        while (running) {
          const got = await timedGet(agent, mapUrl, headers);
          if (got.status !== 200) {
            totals.failed++;
            continue;
          }
          totals.gets++;
          totals.bytes += got.bytes;
          histogram.record(got.ms);
          const id = got.headers['last-event-id'];
          if (typeof id === 'string') seen.add(id);
        }
      });
      // A pair now and then: the first usually at an offset nobody here had yet, the second
      // right after it, often at the same offset.
      const snapshotter = (async () => {
        while (running) {
          for (let i = 0; i < 2 && running; i++) {
            const taken = await snapshot(message.url, message.schedule);
            if (taken) snapshots.push(taken);
          }
          await sleep(message.snapshotEveryMs);
        }
      })();
      stopRun = async () => {
        running = false;
        await Promise.all([...readers, snapshotter]);
        agent.destroy();
        const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
        return { type: 'stopped', ...totals, seconds, histogram: histogram.counts, snapshots, snapshotSeats: seats() };
      };
      reply({ type: 'ok' });
      break;
    }
    case 'stop':
      reply(await stopRun!());
      break;
    case 'snapshot':
      reply({ type: 'snapshot', taken: await snapshot(message.url, message.schedule) });
      break;
    case 'close':
      process.exit(0);
  }
});

/** The last snapshot, parsed once its timing is over: it must be the whole map. */
function seats(): number {
  try {
    return (JSON.parse(lastSnapshotData) as { seats: unknown[] }).seats.length;
  } catch {
    return 0;
  }
}
