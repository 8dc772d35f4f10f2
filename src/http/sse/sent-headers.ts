import { OutgoingMessage, type ServerResponse } from 'node:http';

/**
 * A stream's response headers, once sent, kept once for all the streams that sent the same ones.
 *
 * Node keeps every header set on a response (a dictionary of `[name, value]` pairs) for the
 * response's whole life, though once they are sent nothing but `getHeader()` and its kin reads
 * them: about 1 KB of an idle stream's 9.5 KB of heap. The streams of a route send the same
 * headers, so an identical set is kept once, frozen, and every response that sent it points at it;
 * `getHeader()` and `getHeaders()` still answer what was sent (the request metrics read the
 * content type back when the stream ends). Node writes the dictionary only before the headers go
 * (`setHeader` and the like throw afterwards), so sharing it is safe.
 */

/** Node's own key for that dictionary; absent elsewhere (HTTP/2's response has none): nothing is shared. */
const OUT_HEADERS = Object.getOwnPropertySymbols(new OutgoingMessage()).find((s) => s.description === 'kOutHeaders');

type HeaderDictionary = Record<string, [name: string, value: unknown]>;

/** Distinct header sets kept: a route's streams send one, so this many only if headers vary per request. */
const MAX_SETS = 32;
const sets = new Map<string, Readonly<HeaderDictionary>>();

/** Points `res`, whose headers are sent, at the shared copy of its header set (its own dropped). */
export function shareSentHeaders(res: ServerResponse): void {
  if (!OUT_HEADERS || !res.headersSent) return;
  const own = (res as unknown as Record<symbol, HeaderDictionary | null | undefined>)[OUT_HEADERS];
  if (!own) return;
  const key = keyOf(own);
  if (key === undefined) return;
  let shared = sets.get(key);
  if (!shared) {
    if (sets.size >= MAX_SETS) return; // headers that vary per request: each response keeps its own
    for (const name in own) Object.freeze(own[name]);
    shared = Object.freeze(own);
    sets.set(key, shared);
  }
  (res as unknown as Record<symbol, Readonly<HeaderDictionary>>)[OUT_HEADERS] = shared;
}

/**
 * The set as one string, or undefined when a value is a list (`Set-Cookie`): not worth sharing.
 * Unambiguous: a name holds no `:` and a value no line break (Node refuses both).
 */
function keyOf(headers: HeaderDictionary): string | undefined {
  let key = '';
  for (const name in headers) {
    const [original, value] = headers[name]!;
    if (typeof value === 'object') return undefined;
    key += `${original}:${typeof value}:${String(value)}\n`;
  }
  return key;
}
