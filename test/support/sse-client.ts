import http from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A raw text/event-stream client: parses exactly what the wire carries (ids, names, comments,
 * retry), and can stop reading to act as a slow client. The `eventsource` package is used
 * beside it where browser behaviour matters.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  readonly retries: number[] = [];
  /** Blocks whose `retry:` came without data (fetch-event-source hands those out as empty messages). */
  bareRetries = 0;
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  /** Every dispatched event, counted even when not kept. */
  received = 0;
  /** False: count events without keeping them (long runs whose memory is being measured). */
  keep = true;
  /** The last `id:` seen, as a browser keeps it. */
  lastEventId: string | undefined;
  private request!: http.ClientRequest;
  private response: http.IncomingMessage | undefined;
  private buffer = '';
  private pending: SseEvent = { id: undefined, event: 'message', data: '' };
  private dataLines: string[] = [];
  private retryInBlock = false;
  private waiters = new Set<() => void>();
  private endedPromise!: Promise<void>;

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    await client.open(url, headers);
    return client;
  }

  private open(url: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        this.response = response;
        this.status = response.statusCode ?? 0;
        this.headers = response.headers;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => this.feed(chunk));
        this.endedPromise = new Promise((done) => {
          const finish = () => {
            this.ended = true;
            this.notify();
            done();
          };
          response.on('end', finish);
          response.on('close', finish);
          response.on('error', finish);
        });
        resolve();
      });
      this.request.on('error', reject);
    });
  }

  /** Message events only (what `onmessage` sees), parsed. */
  messages<T = any>(): T[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as T);
  }

  /** Every event but the data heartbeats (a stream also ends with one, carrying its `retry:`). */
  withoutHeartbeats(): SseEvent[] {
    return this.events.filter((e) => !(e.event === 'message' && e.data.includes('"isHeartbeat":true')));
  }

  /** Seat events only: messages that are not heartbeats. */
  seatEvents(): Array<{ id: string; scheduleId: number; scheduleSeatId: number; status: string }> {
    return this.events
      .filter((e) => e.event === 'message')
      .map((e) => ({ id: e.id!, ...JSON.parse(e.data) }))
      .filter((e) => !e.isHeartbeat);
  }

  async waitFor(predicate: (client: SseClient) => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    if (predicate(this)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${this.events.length} events, ended=${this.ended}`));
      }, timeoutMs);
      const check = () => {
        if (predicate(this)) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  waitForSeatEvents(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor((c) => c.seatEvents().length >= count, timeoutMs, `${count} seat events`);
  }

  waitForEnd(timeoutMs = 5_000): Promise<void> {
    return this.waitFor((c) => c.ended, timeoutMs, 'end of stream');
  }

  pause(): void {
    this.response?.pause();
  }

  close(): void {
    this.request.destroy();
    this.response?.destroy();
  }

  get finished(): Promise<void> {
    return this.endedPromise;
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + width);
      this.line(line);
    }
    this.notify();
  }

  private line(line: string): void {
    if (line === '') {
      if (this.dataLines.length > 0) {
        this.received++;
        if (this.keep) this.events.push({ ...this.pending, id: this.lastEventId, data: this.dataLines.join('\n') });
      } else if (this.retryInBlock) this.bareRetries++;
      this.retryInBlock = false;
      this.dataLines = [];
      this.pending = { id: undefined, event: 'message', data: '' };
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.pending.event = value;
    else if (field === 'id') this.lastEventId = value;
    else if (field === 'retry') {
      this.retries.push(Number(value));
      this.retryInBlock = true;
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
