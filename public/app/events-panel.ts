import type { SeatEvent } from '../../src/client/index.js';
import { formatTime, frameBatcher, h } from './dom.js';

/** The most recent seat events, newest first; redrawn at most once per frame. */
export class EventsPanel {
  private readonly recent: Array<{ event: SeatEvent; seat: string }> = [];
  private readonly flush = frameBatcher(() => this.render());

  constructor(
    private readonly body: HTMLElement,
    private readonly limit = 20,
  ) {}

  add(event: SeatEvent, seat: string): void {
    this.recent.push({ event, seat });
    if (this.recent.length > this.limit) this.recent.shift();
    this.flush();
  }

  private render(): void {
    const rows: HTMLElement[] = [];
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const { event, seat } = this.recent[i]!;
      rows.push(
        h(
          'tr',
          { dataset: { status: event.status, eventId: event.eventId } },
          h('td', { textContent: formatTime(event.timestamp) }),
          h('td', { textContent: seat }),
          h('td', { textContent: event.status.toLowerCase() }),
          h('td', { className: 'event-id', textContent: event.eventId.split('@')[0]! }),
        ),
      );
    }
    this.body.replaceChildren(...rows);
  }
}
