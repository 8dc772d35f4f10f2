import { SEAT_STATUSES, type SeatStatus, type SeatView } from '../../src/client/index.js';
import { compareRows, frameBatcher, h, seatName } from './dom.js';

/**
 * The seat map. A snapshot builds every seat element once; after that an event repaints exactly
 * one element (a few attribute writes), so a 2,000-seat venue at hundreds of events a second
 * stays smooth. Counts in the legend are refreshed once per frame.
 */
export class SeatMapView {
  private readonly elements = new Map<number, HTMLButtonElement>();
  private readonly pending = new Set<number>();
  private counts: Record<SeatStatus, number> = { AVAILABLE: 0, HELD: 0, RESERVED: 0 };
  private readonly views = new Map<number, SeatView>();
  private readonly flushCounts = frameBatcher(() => {
    for (const status of SEAT_STATUSES) this.countElements[status].textContent = String(this.counts[status]);
  });

  constructor(
    private readonly root: HTMLElement,
    private readonly countElements: Record<SeatStatus, HTMLElement>,
  ) {}

  /** Rebuilds the whole map (a snapshot). */
  render(seats: readonly SeatView[]): void {
    this.elements.clear();
    this.views.clear();
    this.counts = { AVAILABLE: 0, HELD: 0, RESERVED: 0 };
    const rows = new Map<string, SeatView[]>();
    for (const seat of seats) {
      let row = rows.get(seat.row);
      if (!row) rows.set(seat.row, (row = []));
      row.push(seat);
    }
    const fragment = document.createDocumentFragment();
    let columns = 0;
    for (const row of [...rows.keys()].sort(compareRows)) {
      const list = rows.get(row)!.sort((a, b) => a.number - b.number);
      columns = Math.max(columns, list.length);
      const rowElement = h(
        'div',
        { className: 'row', attrs: { role: 'group', 'aria-label': `Row ${row}` } },
        h('span', { className: 'row-label', textContent: row, attrs: { 'aria-hidden': 'true' } }),
      );
      for (const seat of list) {
        const element = h('button', {
          type: 'button',
          className: 'seat',
          textContent: String(seat.number),
          dataset: { seatId: String(seat.id) },
        });
        this.elements.set(seat.id, element);
        this.counts[seat.status]++;
        this.views.set(seat.id, seat);
        this.paintElement(element, seat);
        rowElement.append(element);
      }
      fragment.append(rowElement);
    }
    this.root.style.setProperty('--cols', String(columns));
    this.root.replaceChildren(fragment);
    if (seats.length === 0)
      this.root.replaceChildren(h('p', { className: 'placeholder', textContent: 'This schedule has no seats.' }));
    this.root.removeAttribute('aria-busy');
    this.flushCounts();
  }

  /** Repaints one seat. */
  paint(seat: SeatView): void {
    const previous = this.views.get(seat.id);
    const element = this.elements.get(seat.id);
    if (!previous || !element) return;
    if (previous.status !== seat.status) {
      this.counts[previous.status]--;
      this.counts[seat.status]++;
      this.flushCounts();
    }
    this.views.set(seat.id, seat);
    this.paintElement(element, seat);
  }

  /** Marks seats with a request in flight (disabled meanwhile). */
  setPending(seatIds: readonly number[], pending: boolean): void {
    for (const id of seatIds) {
      if (pending) this.pending.add(id);
      else this.pending.delete(id);
      const seat = this.views.get(id);
      const element = this.elements.get(id);
      if (seat && element) this.paintElement(element, seat);
    }
  }

  /** Calls `handler` with the seat behind a click (one listener for the whole map). */
  onSeatClick(handler: (seat: SeatView) => void): void {
    this.root.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-seat-id]');
      if (!button || button.disabled) return;
      const seat = this.views.get(Number(button.dataset.seatId));
      if (seat) handler(seat);
    });
  }

  private paintElement(element: HTMLButtonElement, seat: SeatView): void {
    element.dataset.status = seat.status;
    element.classList.toggle('mine', seat.mine);
    const label = `Seat ${seatName(seat)}, ${seat.status.toLowerCase()}${seat.mine ? ' by you' : ''}`;
    element.setAttribute('aria-label', label);
    const actionable = seat.status === 'AVAILABLE' || (seat.status === 'HELD' && seat.mine);
    element.title = actionable ? `${label} (click to ${seat.status === 'AVAILABLE' ? 'hold' : 'release'})` : label;
    element.disabled = this.pending.has(seat.id) || !actionable;
  }
}
