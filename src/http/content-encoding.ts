import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** What a response body may be compressed with; the SSE streams never are. */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

/** Ours in order of preference, where the client likes them equally. */
const PREFERRED = ['br', 'gzip'] as const;

/**
 * The encoding to answer with, from `Accept-Encoding` (RFC 9110 §12.5.3): the one with the
 * highest weight, br before gzip on a tie; `*` stands for any not named, `q=0` refuses; identity
 * when neither is acceptable.
 */
export function negotiateEncoding(header: string | undefined): ContentEncoding {
  if (!header) return 'identity';
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

/**
 * Compresses on libuv's thread pool, off the event loop. `shared`: a body compressed once and
 * sent to many (the public map at one offset) is worth a denser setting; `single`: one caller's
 * body, sent once, takes the cheapest.
 */
export function compress(bytes: Buffer, encoding: 'br' | 'gzip', use: 'shared' | 'single'): Promise<Buffer> {
  const shared = use === 'shared';
  if (encoding === 'gzip') return gzipAsync(bytes, { level: shared ? 6 : 1 });
  return brotliAsync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: shared ? 5 : 1,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}
