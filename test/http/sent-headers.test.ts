import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { startServer, streaming, type TestServer } from '../support/server.js';

const EVENTS = '/api/schedules/1/seats/events';

/** Node's dictionary of a response's headers (what `getHeader()` reads), found as src/http/sse/sent-headers.ts does. */
function headerDictionary(res: ServerResponse): unknown {
  const key = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders');
  return key && (res as unknown as Record<symbol, unknown>)[key];
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
});
