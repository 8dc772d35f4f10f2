import http from 'node:http';

export interface Got {
  status: number;
  /** From writing the request to the last byte of the body (not decoded), in ms. */
  ms: number;
  bytes: number;
  headers: http.IncomingHttpHeaders;
}

/**
 * A GET timed to its body's last byte. The body is counted, not decoded or kept: the client's own
 * work (brotli, JSON) would otherwise be timed as the server's, on a machine where they share cores.
 */
export function timedGet(agent: http.Agent, url: string, headers: Record<string, string> = {}): Promise<Got> {
  const started = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, ms: ms(), bytes, headers: response.headers }),
      );
      response.on('error', () => resolve({ status: 0, ms: ms(), bytes, headers: {} }));
    });
    request.on('error', () => resolve({ status: 0, ms: ms(), bytes: 0, headers: {} }));
  });
}
