import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';

/** What a response body may be compressed with; the SSE streams never are. */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

/** Ours in order of preference, where the client likes them equally. */
const PREFERRED = ['br', 'gzip'] as const;

/**
 * A body this small arrives within TCP's first round trip (an initial window of ten segments)
 * compressed or not: it is sent as it is, and the client has nothing to decode.
 */
export const MIN_COMPRESSED_BYTES = 14 * 1024;

/**
 * The encoding to answer a body of `size` bytes with, from `Accept-Encoding` (RFC 9110
 * §12.5.3): the one with the highest weight, br before gzip on a tie; `*` stands for any not
 * named, `q=0` refuses; identity when neither is acceptable or the body is small.
 */
export function negotiateEncoding(header: string | undefined, size: number): ContentEncoding {
  if (!header || size < MIN_COMPRESSED_BYTES) return 'identity';
  const weights = new Map<string, number>();
  for (const item of header.toLowerCase().split(',')) {
    const [name = '', ...params] = item.split(';').map((part) => part.trim());
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(weight) ? weight : 0);
  }
  let best: ContentEncoding = 'identity';
  let bestWeight = 0;
  for (const encoding of PREFERRED) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [encoding, weight];
  }
  return best;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Bodies up to this size are compressed at once, on the event loop: well under a millisecond. */
const INLINE_BYTES = 64 * 1024;

/**
 * How hard to compress: `dense` for a body compressed once and sent to many for a while (the
 * public map at one offset); `fast` for one sent once (one caller's view) or soon replaced (a map
 * whose schedule changes several times a second). For 100,000 seats (5.6 MB): br 5 takes 70–90 ms
 * for 240 KB, br 1 10 ms for 280–460 KB; gzip 6 33 ms, gzip 1 13–18 ms (bench/map-cost.ts).
 */
export type Density = 'dense' | 'fast';

/**
 * Compresses a large body on libuv's thread pool, off the event loop; a small one at once, since
 * the round trip to the pool would cost more than the work and delay the answer.
 */
export function compress(bytes: Buffer, encoding: 'br' | 'gzip', density: Density): Promise<Buffer> {
  const dense = density === 'dense';
  const inline = bytes.length <= INLINE_BYTES;
  if (encoding === 'gzip') {
    const options = { level: dense ? 6 : 1 };
    return inline ? Promise.resolve(gzipSync(bytes, options)) : gzipAsync(bytes, options);
  }
  const options = {
    params: { [constants.BROTLI_PARAM_QUALITY]: dense ? 5 : 1, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  };
  return inline ? Promise.resolve(brotliCompressSync(bytes, options)) : brotliAsync(bytes, options);
}
