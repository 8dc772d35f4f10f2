/**
 * BASELINE — not seatstream. A minimal hand-written Node `http` SSE server that the benchmark
 * runs beside seatstream, doing the same job the simplest way: each hold/release request changes
 * one seat, serializes its frame once, and writes that frame to every subscriber socket of the
 * schedule (one write per subscriber per event, no coalescing, no resume, no limits).
 * Usage: node --import tsx bench/baseline-server.ts <port>
 */
import http from 'node:http';

interface Schedule {
  offset: number;
  subscribers: Set<http.ServerResponse>;
}

const schedules = new Map<number, Schedule>();
const schedule = (id: number): Schedule => {
  let s = schedules.get(id);
  if (!s) schedules.set(id, (s = { offset: 0, subscribers: new Set() }));
  return s;
};

const server = http.createServer((req, res) => {
  const match = /^\/api\/schedules\/(\d+)(\/seats\/(events|hold|release))?/.exec(req.url ?? '');
  if (req.method === 'POST' && req.url === '/api/session') return json(res, { userId: 'baseline', token: 'baseline' });
  if (!match) return json(res, { error: 'NOT_FOUND' }, 404);
  const id = Number(match[1]);
  if (req.method === 'PUT' && !match[2]) {
    req.resume();
    return req.on('end', () => json(res, { scheduleId: id }, 201));
  }
  if (req.method === 'GET' && match[3] === 'events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 3000\n\n');
    const s = schedule(id);
    s.subscribers.add(res);
    res.on('close', () => s.subscribers.delete(res));
    return;
  }
  if (req.method === 'POST' && (match[3] === 'hold' || match[3] === 'release')) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { seatIds } = JSON.parse(body) as { seatIds: number[] };
      const s = schedule(id);
      const status = match[3] === 'hold' ? 'HELD' : 'AVAILABLE';
      let eventId = '';
      for (const seatId of seatIds) {
        s.offset++;
        eventId = `${s.offset}@base`;
        // Serialized once per event, then the same bytes go to every subscriber.
        const frame = Buffer.from(
          `id: ${eventId}\ndata: {"scheduleId":${id},"scheduleSeatId":${seatId},"status":"${status}",` +
            `"timestamp":"${new Date().toISOString()}","isHeartbeat":false}\n\n`,
        );
        for (const subscriber of s.subscribers) subscriber.write(frame);
      }
      json(res, { eventId });
    });
    return;
  }
  json(res, { error: 'NOT_FOUND' }, 404);
});

function json(res: http.ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

server.keepAliveTimeout = 60_000;
// The listen queue seatstream has by default (LISTEN_BACKLOG), so that a reconnect storm meets the same queue.
server.listen(Number(process.argv[2] ?? 4000), '127.0.0.1', Number(process.env.LISTEN_BACKLOG ?? 4096));
process.on('SIGTERM', () => process.exit(0));
