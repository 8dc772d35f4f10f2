import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventStream,
  openEventStream,
  SeatstreamApiError,
  SseParser,
  type StreamEvent,
  StreamWaitError,
} from 'seatstream/testing';

/**
 * The kit's SSE reader against a raw node:http server that writes exactly the bytes a test
 * gives it, in the pieces it gives them: the wire's edge cases, not seatstream's behaviour.
 */
let server: Server;
let base = '';
const waiting: Array<(response: ServerResponse) => void> = [];
const opened: EventStream[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/missing') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'NOT_FOUND', message: 'Not found' }));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.flushHeaders();
    waiting.shift()?.(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((stream) => stream.close()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A stream, and the server's side of it to write to. */
async function open(): Promise<{ stream: EventStream; write: (text: string) => Promise<void>; res: ServerResponse }> {
  const served = new Promise<ServerResponse>((resolve) => waiting.push(resolve));
  const stream = await openEventStream(`${base}/events`);
  opened.push(stream);
  const res = await served;
  // A pause after each write, so that the pieces reach the reader as separate reads.
  const write = async (text: string) => {
    res.write(text);
    await sleep(15);
  };
  return { stream, write, res };
}

const END = 'data: end\n\n';
const ended = (stream: EventStream) => stream.waitFor((event) => event.raw === 'end');
const raws = (stream: EventStream) => stream.events.map((event) => event.raw);

describe('the SSE reader of seatstream/testing', () => {
  it('joins multi-line data with \\n', async () => {
    const { stream, write } = await open();
    await write('data: first\ndata:second\ndata\ndata:  two spaces\n\n');
    await write(END);
    await ended(stream);
    // `data:x` keeps x, a bare `data` is an empty line, and only one leading space is dropped.
    expect(raws(stream)).toEqual(['first\nsecond\n\n two spaces', 'end']);
  });

  it('reads CRLF, CR and LF line ends, a CRLF split between two reads as one line end', async () => {
    const { stream, write } = await open();
    await write('data: a\r');
    await write('\ndata: b\r\n\r\n');
    await write('data: cr\r\rdata: mixed\r\n\n');
    await write(END);
    await ended(stream);
    expect(raws(stream)).toEqual(['a\nb', 'cr', 'mixed', 'end']);
  });

  it('keeps comments out of the events, and counts them', async () => {
    const { stream, write } = await open();
    await write(': heartbeat\n\n:no space\n\ndata: x\n: inside a block\ndata: y\n\n');
    await write(END);
    await ended(stream);
    expect(raws(stream)).toEqual(['x\ny', 'end']);
    expect(stream.comments).toEqual(['heartbeat', 'no space', 'inside a block']);
  });

  it('takes a retry without data as a hint, not an event; a malformed retry is ignored', async () => {
    const { stream, write } = await open();
    await write('retry: 1500\n\n');
    await write('retry: soon\n\n');
    await write(END);
    await ended(stream);
    expect(raws(stream)).toEqual(['end']);
    expect(stream.retryMs).toBe(1500);
  });

  it('an id-only block dispatches nothing but moves lastEventId, as a browser keeps it', async () => {
    const { stream, write } = await open();
    await write('id: 1:5@k3x9,2:2@k3x9\n\n');
    await write('data: {"scheduleSeatId":-1,"status":null,"timestamp":"t","isHeartbeat":true}\n\n');
    await write(
      'id: 6@k3x9\ndata: {"scheduleId":1,"scheduleSeatId":6,"status":"HELD","timestamp":"t","isHeartbeat":false}\n\n',
    );
    await write(END);
    await ended(stream);
    const [heartbeat, seat] = stream.events;
    expect(heartbeat).toMatchObject({ type: 'heartbeat', id: undefined });
    expect(seat).toMatchObject({ type: 'seat', id: '6@k3x9', data: { scheduleSeatId: 6, status: 'HELD' } });
    expect(stream.events).toHaveLength(3);
    expect(stream.lastEventId).toBe('6@k3x9');
  });

  it('reports the id-only position when no data block followed it', async () => {
    const { stream, write } = await open();
    await write('id: 9@k3x9\n\n');
    await write(END);
    await ended(stream);
    expect(stream.events.map((event) => event.id)).toEqual([undefined]);
    expect(stream.lastEventId).toBe('9@k3x9');
  });

  it('types every kind of frame seatstream writes', async () => {
    const { stream, write } = await open();
    await write(
      'retry: 3000\nid: 4@k3x9\nevent: snapshot\n' +
        'data: {"scheduleId":1,"seats":[{"id":1,"row":"A","number":1,"status":"AVAILABLE"}]}\n\n' +
        'id: 5@k3x9\n' +
        'data: {"scheduleId":1,"scheduleSeatId":1,"status":"HELD","timestamp":"t","isHeartbeat":false}\n\n' +
        'id: 1:5@k3x9\nevent: cursor\ndata: 1:5@k3x9\n\n' +
        'event: connected\ndata: {"userId":"guest-1"}\n\n' +
        'id: 1@u1\nevent: reserved\ndata: {"scheduleId":1,"seatIds":[1],"orderId":"order-7"}\n\n' +
        'id: 2@u1\nevent: order-paid\ndata: {"orderId":"order-7"}\n\n' +
        'id: 3@u1\nevent: message\ndata: {"text":"hello"}\n\n' +
        'data: not json\n\n' +
        'event: error\ndata: {"error":"INTERNAL","message":"Internal server error"}\n\n' +
        'event: deleted\ndata: {"scheduleId":1}\n\n',
    );
    await stream.waitFor('deleted');
    const kinds = stream.events.map((event: StreamEvent) =>
      event.type === 'notice' || event.type === 'hold-notice' ? `${event.type}:${event.event}` : event.type,
    );
    expect(kinds).toEqual([
      'snapshot',
      'seat',
      'cursor',
      'connected',
      'hold-notice:reserved',
      'notice:order-paid',
      'notice:message',
      'notice:message',
      'error',
      'deleted',
    ]);
    expect(stream.ofType('snapshot')[0]!.data.seats).toEqual([{ id: 1, row: 'A', number: 1, status: 'AVAILABLE' }]);
    expect(stream.ofType('cursor')[0]).toMatchObject({ id: '1:5@k3x9', data: '1:5@k3x9' });
    expect(stream.ofType('hold-notice')[0]!.data).toEqual({ scheduleId: 1, seatIds: [1], orderId: 'order-7' });
    expect(stream.ofType('notice').map((event) => event.data)).toEqual([
      { orderId: 'order-7' },
      { text: 'hello' },
      'not json',
    ]);
    expect(stream.retryMs).toBe(3000);
  });

  it('parses the same events however the bytes are split', () => {
    const text = 'retry: 10\r\nid: 1@a\r\nevent: snapshot\r\ndata: x\r\ndata: y\r\n\r\n: c\r\rdata: z\r\r';
    const whole = new SseParser().feed(text);
    expect(whole.map((m) => [m.event, m.data, m.id])).toEqual([
      ['snapshot', 'x\ny', '1@a'],
      ['message', 'z', undefined],
    ]);
    for (let cut = 0; cut <= text.length; cut++) {
      for (let cut2 = cut; cut2 <= text.length; cut2++) {
        const parser = new SseParser();
        const messages = [text.slice(0, cut), text.slice(cut, cut2), text.slice(cut2)].flatMap((piece) =>
          parser.feed(piece),
        );
        expect(messages, `cut at ${cut} and ${cut2}`).toEqual(whole);
      }
    }
  });

  it('waitFor resolves with an event that came before it was called', async () => {
    const { stream, write } = await open();
    await write('data: early\n\n');
    await expect(stream.waitFor((event) => event.raw === 'early')).resolves.toMatchObject({ raw: 'early' });
    // From `since` on, the early one no longer counts.
    const later = stream.waitFor((event) => event.raw === 'early', { since: stream.events.length });
    await write('data: early\n\n');
    expect(await later).toBe(stream.events[1]);
  });

  it('a waitFor that times out says what it waited for and lists what arrived', async () => {
    const { stream, write } = await open();
    await write(
      'id: 1@k3x9\ndata: {"scheduleId":1,"scheduleSeatId":1,"status":"HELD","timestamp":"t","isHeartbeat":false}\n\n',
    );
    const error = await stream.waitFor('snapshot', undefined, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamWaitError);
    expect((error as StreamWaitError).reason).toBe('timeout');
    expect((error as StreamWaitError).arrived).toHaveLength(1);
    expect((error as Error).message).toContain('Waited for a snapshot event');
    expect((error as Error).message).toContain('none within 100 ms');
    expect((error as Error).message).toContain('1 event arrived:\n  #0 seat 1@k3x9 {"scheduleId":1,"scheduleSeatId":1');
  });

  it('a waitFor rejects as soon as the stream ends, or is closed, without a match', async () => {
    const first = await open();
    const pending = first.stream.waitFor('seat', undefined, { timeoutMs: 10_000 });
    first.res.end('data: {"isHeartbeat":true,"scheduleSeatId":-1,"status":null,"timestamp":"t"}\n\n');
    await expect(pending).rejects.toThrow(/the stream ended first\. 1 event arrived:\n {2}#0 heartbeat/);
    expect(first.stream.ended).toBe(true);

    const second = await open();
    const waiting = second.stream.waitFor('seat', undefined, { timeoutMs: 10_000 });
    await second.stream.close();
    await expect(waiting).rejects.toMatchObject({ reason: 'closed' });
  });

  it('an answer other than a 200 event stream is a SeatstreamApiError with its status and body', async () => {
    const error = await openEventStream(`${base}/missing`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeatstreamApiError);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', body: { error: 'NOT_FOUND', message: 'Not found' } });
    expect((error as Error).message).toBe(`GET ${base}/missing answered 404 NOT_FOUND: Not found`);
  });
});
