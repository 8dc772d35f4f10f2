import type { ServerResponse } from 'node:http';

/**
 * HTTP/1.1 chunk framing done once per chunk instead of once per connection.
 *
 * Node's `ServerResponse.write` frames every write of a chunked response on its own: it corks the
 * socket, writes `<hex length>\r\n`, the bytes and `\r\n` as three writes, and uncorks on the next
 * tick, so each delivery to each connection costs a hex string, three queued writes, a `nextTick`
 * and a three-part `writev`. The hub hands every connection of a topic the same Buffer in a row,
 * so here the framed bytes are made once for it and written to each response as one buffer.
 */

const CRLF = Buffer.from('\r\n', 'latin1');

/** The last chunk framed and its framing: a topic's subscribers are handed the same Buffer in a row. */
let lastBytes: Buffer | undefined;
let lastFramed: Buffer = CRLF;

/** `bytes` as one HTTP/1.1 chunk, `<hex length>\r\n<bytes>\r\n`; `bytes` must not be empty. */
export function framedChunk(bytes: Buffer): Buffer {
  if (bytes === lastBytes) return lastFramed;
  const framed = frame(bytes);
  lastBytes = bytes;
  lastFramed = framed;
  return framed;
}

function frame(bytes: Buffer): Buffer {
  const size = bytes.length.toString(16);
  const framed = Buffer.allocUnsafe(size.length + bytes.length + 4);
  let at = framed.write(size, 0, 'latin1');
  framed[at++] = 13;
  framed[at++] = 10;
  at += bytes.copy(framed, at);
  framed[at++] = 13;
  framed[at] = 10;
  return framed;
}

/** The chunk header of `length` bytes, for a chunk too large to copy (a snapshot: written in three parts). */
export function chunkHead(length: number): Buffer {
  return Buffer.from(`${length.toString(16)}\r\n`, 'latin1');
}

export { CRLF as CHUNK_TAIL };

/** The end of a chunked body: the last chunk, no trailers. */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/**
 * Takes the chunk framing of `res` over from Node, when Node sends it with `Transfer-Encoding:
 * chunked` (an HTTP/1.1 response with a body, its headers already stored): from then on
 * `res.write` passes bytes through as they are, so the caller writes framed chunks
 * (`framedChunk`) and ends the body with `LAST_CHUNK` itself. Node decided keep-alive when it
 * stored the headers, so the connection still serves the next request. False, and nothing
 * changed, for HTTP/2 (no chunk framing: `chunkedEncoding` is not there), a HEAD request or an
 * HTTP/1.0 client (no chunked body).
 */
export function takeChunkFraming(res: ServerResponse): boolean {
  if (res.chunkedEncoding !== true || !res.headersSent) return false;
  res.chunkedEncoding = false;
  return true;
}
