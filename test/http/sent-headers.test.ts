import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { getHeapSnapshot } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { shareSentHeaders } from '../../src/http/sse/sent-headers.js';
import { SseClient } from '../support/sse-client.js';
import { startServer, streaming, type TestServer } from '../support/server.js';

const EVENTS = '/api/schedules/1/seats/events';

/** Node's dictionary of a response's headers (what `getHeader()` reads), found as src/http/sse/sent-headers.ts does. */
function headerDictionary(res: ServerResponse): unknown {
  const key = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders');
  return key && (res as unknown as Record<symbol, unknown>)[key];
}

/** Node's copy of a response's header block, as written. */
function headerBlock(res: ServerResponse): string {
  return (res as unknown as { _header: string })._header;
}

/**
 * How many string objects on the heap hold one of `texts` (a snapshot, taken after a full
 * collection): equal strings are one value to JavaScript, so only the heap tells copies apart.
 */
async function liveCopies(texts: ReadonlySet<string>): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const [type, name] = [fields.indexOf('type'), fields.indexOf('name')];
  const types = snapshot.snapshot.meta.node_types[0];
  let copies = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    if (types[snapshot.nodes[i + type]!]!.includes('string') && texts.has(snapshot.strings[snapshot.nodes[i + name]!]!))
      copies++;
  }
  return copies;
}

describe("a stream's sent headers", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('are kept once for every stream that sent the same ones, and still read back as sent', async () => {
    server = await startServer();
    const responses: ServerResponse[] = [];
    server.app.server.prependListener('request', (_request, response: ServerResponse) => responses.push(response));
    const clients = [await SseClient.connect(server.url + EVENTS), await SseClient.connect(server.url + EVENTS)];
    await streaming(server, 1, 2);
    const [first, second] = responses;

    // What a hook reads back is what the client got (Node adds Date and Transfer-Encoding as it writes).
    for (const [i, res] of [first!, second!].entries()) {
      const received = { ...clients[i]!.headers };
      delete received.date;
      delete received['transfer-encoding'];
      expect(Object.fromEntries(Object.entries(res.getHeaders()).map(([k, v]) => [k, String(v)]))).toEqual(received);
      expect(res.getHeader('content-type')).toBe('text/event-stream; charset=utf-8');
    }
    // One dictionary for both, which nothing can change.
    expect(headerDictionary(first!)).toBe(headerDictionary(second!));
    expect(Object.isFrozen(headerDictionary(first!))).toBe(true);
    expect(() => first!.setHeader('x-late', '1')).toThrow(/after they are sent/);
    for (const client of clients) client.close();
  });

  it('keep one copy of the header block Node wrote for the streams of a second', async () => {
    server = await startServer();
    const responses: ServerResponse[] = [];
    server.app.server.prependListener('request', (_request, response: ServerResponse) => responses.push(response));
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => SseClient.connect(server!.url + EVENTS)));
    await streaming(server, 1, 5);

    // Blocks differ only by their Date: one copy per distinct text (two, if a second turned meanwhile).
    const texts = new Set(responses.map(headerBlock));
    expect(texts.size).toBeLessThanOrEqual(2);
    expect([...texts][0]).toMatch(/^HTTP\/1\.1 200 OK\r\n.*content-type: text\/event-stream.*\r\ndate: /is);
    expect(await liveCopies(texts)).toBe(texts.size);
    for (const client of clients) client.close();
  });
});

describe('shareSentHeaders', () => {
  /** A response with `headers` set and (unless `send` is false) sent; no socket needed for that. */
  function response(headers: Record<string, string | number | string[]>, send = true): ServerResponse {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (send) res.writeHead(200);
    return res;
  }
  const sent = { 'Content-Type': 'text/event-stream', 'X-Unique-To-This-Test': 'shared', 'X-N': 1 };

  it('shares one set between responses whose names, spellings and values all match', () => {
    const [a, b] = [response(sent), response(sent)];
    shareSentHeaders(a);
    shareSentHeaders(b);
    expect(headerDictionary(b)).toBe(headerDictionary(a));
    expect(b.getHeaders()).toEqual({
      'content-type': 'text/event-stream',
      'x-unique-to-this-test': 'shared',
      'x-n': 1,
    });
  });

  it('keeps apart a set with another value, another spelling, a missing or an extra header', () => {
    const first = response(sent);
    shareSentHeaders(first);
    const sets: Record<string, string | number>[] = [
      { ...sent, 'X-N': 2 },
      { ...sent, 'X-N': '1' },
      { 'Content-Type': 'text/event-stream', 'x-unique-to-this-test': 'shared', 'X-N': 1 },
      { 'Content-Type': 'text/event-stream', 'X-Unique-To-This-Test': 'shared' },
      { ...sent, 'X-More': 'yes' },
    ];
    const others = sets.map((headers) => response(headers));
    for (const res of others) {
      shareSentHeaders(res);
      expect(headerDictionary(res)).not.toBe(headerDictionary(first));
    }
    // Each became a set of its own, shared with the next response that sends it.
    const again = response({ ...sent, 'X-More': 'yes' });
    shareSentHeaders(again);
    expect(headerDictionary(again)).toBe(headerDictionary(others[4]!));
  });

  it('leaves alone a response whose headers are not sent yet, or that holds a list value', () => {
    const unsent = response(sent, false);
    shareSentHeaders(unsent);
    expect(Object.isFrozen(headerDictionary(unsent))).toBe(false);
    unsent.setHeader('X-Late', 'still possible');
    const cookies = { ...sent, 'Set-Cookie': ['a=1', 'b=2'] };
    const [c, d] = [response(cookies), response(cookies)];
    shareSentHeaders(c);
    shareSentHeaders(d);
    expect(headerDictionary(d)).not.toBe(headerDictionary(c));
    expect(Object.isFrozen(headerDictionary(c))).toBe(false);
  });
});
