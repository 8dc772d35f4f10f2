import http from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalBus } from '../../src/backends/memory/local-bus.js';
import type { Config } from '../../src/config.js';
import type { BuildOptions } from '../../src/http/app.js';
import { encodeSeatEvent } from '../../src/protocol/seat-events.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, hold, newGuest, readMetrics, startServer, streaming, type TestServer } from '../support/server.js';

const TOKEN = 'metrics-token-for-tests-0123';
const EVENTS_ROUTE = '/api/schedules/:scheduleId/seats/events';

/** One series of the Prometheus text format; undefined when it is not there. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

/** A stream read as raw bytes, to compare with what the server says it wrote. */
function rawStream(url: string): Promise<{ text: () => string; bytes: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const request = http.get(url, { headers: { accept: 'text/event-stream' } }, (response) => {
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      resolve({
        text: () => Buffer.concat(chunks).toString(),
        bytes: () => chunks.reduce((sum, chunk) => sum + chunk.length, 0),
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

describe('Prometheus metrics', () => {
  let server: TestServer;
  afterEach(() => server.close());

  function start(overrides: Partial<Config> = {}, options: BuildOptions = {}) {
    return startServer({ metricsToken: TOKEN, ...overrides }, options).then((started) => (server = started));
  }

  it('times a hold from its append to the write to the stream watching it; counts its events and request', async () => {
    await start();
    const viewer = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    await streaming(server, 1);
    const guest = await newGuest(server.url);
    const before = await readMetrics(server.url, TOKEN);
    const started = performance.now();
    expect((await hold(server.url, guest, [5, 6])).status).toBe(200);
    await viewer.waitForSeatEvents(2);
    const elapsed = (performance.now() - started) / 1000;
    const text = await readMetrics(server.url, TOKEN);

    // Both events were appended in one step, so they went out as one chunk to the one connection.
    const count = sample(text, 'seatstream_publish_to_write_seconds_count');
    const sum = sample(text, 'seatstream_publish_to_write_seconds_sum')!;
    expect(count).toBe(1);
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThanOrEqual(elapsed + 0.002); // ms clocks: a millisecond of rounding each side
    expect(sample(text, 'seatstream_publish_to_write_seconds_bucket', { le: '+Inf' })).toBe(1);

    const appended = (t: string) => sample(t, 'seatstream_events_appended_total')!;
    expect(appended(text) - appended(before)).toBe(2);

    const route = { method: 'POST', route: '/api/schedules/:scheduleId/seats/hold', status_code: '200' };
    expect(sample(text, 'seatstream_http_request_duration_seconds_count', route)).toBe(1);
    expect(sample(text, 'seatstream_http_request_duration_seconds_sum', route)).toBeLessThanOrEqual(elapsed);
    expect(sample(text, 'seatstream_http_request_duration_seconds_count', { route: '/api/session' })).toBe(1);
    expect(text).not.toContain('route="/api/schedules/1');

    expect(sample(text, 'seatstream_backend_ready')).toBe(1);
    expect(sample(text, 'seatstream_redis_pubsub_lag_seconds_count')).toBe(0);
    viewer.close();
  });

  it('counts the frames and bytes written to a stream as its client receives them', async () => {
    await start();
    const stream = await rawStream(`${server.url}/api/schedules/1/seats/events`);
    await streaming(server, 1);
    const guest = await newGuest(server.url);
    await hold(server.url, guest, [3]);
    await hold(server.url, guest, [4]);
    // Two seat events and the first heartbeat (its slot comes round within 100 ms; the next in 30 s).
    await eventually(() => {
      expect(stream.text().match(/^id: /gm)).toHaveLength(2);
      expect(stream.text()).toContain(': heartbeat');
    });
    const text = await readMetrics(server.url, TOKEN);
    const frames = stream.text().split('\n\n').length - 1;
    expect(frames).toBe(4); // the events, the heartbeat's comment and its data block
    expect(sample(text, 'seatstream_frames_written_total')).toBe(frames);
    expect(sample(text, 'seatstream_bytes_written_total')).toBe(stream.bytes());
    stream.close();
  });

  it('leaves SSE streams out of request durations, but times a stream route that refuses', async () => {
    await start({ sseMaxLifetimeMs: 1_000 });
    const viewer = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    await viewer.waitForEnd(5_000); // its lifetime is over: the response has ended
    expect((await fetch(`${server.url}/api/schedules/999/seats/events`)).status).toBe(404);
    const text = await readMetrics(server.url, TOKEN);
    const timed = (status: string) =>
      sample(text, 'seatstream_http_request_duration_seconds_count', { route: EVENTS_ROUTE, status_code: status });
    expect(timed('404')).toBe(1);
    expect(timed('200')).toBeUndefined();
  });

  it('logs and counts a disconnect of a reader that fell SSE_BUFFER_LIMIT_BYTES behind', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const limit = 65_536;
    await start({ sseBufferLimitBytes: limit }, { logger: { level: 'warn', stream: destination } });
    const { hub } = server.app.seatstream;
    const bus = server.app.seatstream.backend.bus as LocalBus;
    const slow = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    await streaming(server, 1);
    slow.pause();
    // Until the socket's buffers are full and the limit is passed: published across ticks, as holds are,
    // in chunks of about 15 KB (a chunk larger than the limit alone would cut even a reader that keeps up).
    for (let sent = 0; hub.subscriberCount(scheduleTopic(1)) > 0 && sent < 200_000; ) {
      for (let i = 0; i < 100; i++, sent++)
        bus.appendNow(scheduleTopic(1), encodeSeatEvent(1, (sent % 200) + 1, 'HELD', Date.now()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(hub.subscriberCount(scheduleTopic(1))).toBe(0);

    const overflows = lines.filter((line) => String(line.msg).includes('SSE client too slow'));
    expect(overflows).toHaveLength(1);
    expect(overflows[0]).toMatchObject({ level: 40, route: EVENTS_ROUTE, schedules: '1', limitBytes: limit });
    expect(overflows[0]!.reqId).toBeDefined();
    const { pendingBytes, chunkBytes } = overflows[0] as { pendingBytes: number; chunkBytes: number };
    expect(pendingBytes).toBeGreaterThan(0);
    expect(pendingBytes).toBeLessThanOrEqual(limit);
    expect(pendingBytes + chunkBytes).toBeGreaterThan(limit);
    const text = await readMetrics(server.url, TOKEN);
    expect(sample(text, 'seatstream_sse_overflow_disconnects_total')).toBe(1);
    slow.close();
  }, 60_000);
});
