/**
 * The text/event-stream format as the HTML specification parses it: lines end with CRLF, LF or CR;
 * a blank line dispatches the block; `data:` lines join with `\n`; a block without data
 * dispatches nothing, but its `id:` still moves the last event id (as browsers keep it) and its
 * `retry:` still counts. An unfinished block when the stream ends is dropped, as browsers do.
 */

/** One dispatched block: what an EventSource's listener would receive. */
export interface SseMessage {
  /** The `event:` name; `message` when the block named none. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** This block's own `id:` line; undefined when it had none. */
  readonly id: string | undefined;
  /** The last event id after this block, as a browser's `lastEventId` would be. */
  readonly lastEventId: string | undefined;
}

export class SseParser {
  /** As a browser keeps it: set by every `id:` line, also in a block without data. */
  lastEventId: string | undefined;
  /** The last valid `retry:` hint (ms), wherever it came. */
  retryMs: number | undefined;
  /** Comment lines (`: heartbeat`), without the colon and its one space. */
  readonly comments: string[] = [];
  private buffer = '';
  private started = false;
  private afterCr = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  /** Parses the next piece of the stream (any split, even inside a line or a CRLF); returns what it dispatched. */
  feed(text: string): SseMessage[] {
    if (text.length === 0) return [];
    if (!this.started) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    // The LF of a CRLF whose CR ended the previous piece: that line has ended already.
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    this.buffer += text;
    const dispatched: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      const end = cr >= 0 && (lf < 0 || cr < lf) ? cr : lf;
      if (end < 0) break;
      const message = this.line(this.buffer.slice(start, end));
      if (message) dispatched.push(message);
      start = end + (end === cr && this.buffer[end + 1] === '\n' ? 2 : 1);
      if (end === cr && end === this.buffer.length - 1) this.afterCr = true;
    }
    this.buffer = this.buffer.slice(start);
    return dispatched;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(line.startsWith(': ') ? 2 : 1));
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        // The specification ignores an id with NUL in it.
        if (!value.includes('\0')) this.lastEventId = this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message =
      this.data.length === 0
        ? undefined
        : { event: this.event || 'message', data: this.data.join('\n'), id: this.id, lastEventId: this.lastEventId };
    this.event = '';
    this.data = [];
    this.id = undefined;
    return message;
  }
}
