import type { SeatView } from '../../src/client/index.js';
import { compareRows, h, seatName } from './dom.js';

/**
 * "My holds": each held seat with a countdown to its expiry, my reserved seats, the reserve button,
 * and the server's warning that a hold is about to expire, counting down.
 */
export class HoldsPanel {
  private countdowns: Array<[HTMLElement, number | undefined]> = [];
  private busy = false;
  /** The warned hold: its seats' names and when it expires (epoch ms). */
  private warning: { names: string; expiresAt: number } | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly empty: HTMLElement,
    private readonly reservedLine: HTMLElement,
    private readonly reserveButton: HTMLButtonElement,
    private readonly warningLine: HTMLElement,
  ) {
    // One timer for the page: only the countdown texts change.
    setInterval(() => this.tick(), 1000);
  }

  render(held: readonly SeatView[], reserved: readonly SeatView[], pending: ReadonlySet<number>): void {
    const sorted = [...held].sort((a, b) => compareRows(a.row, b.row) || a.number - b.number);
    this.countdowns = [];
    const items = sorted.map((seat) => {
      const left = h('span', { className: 'countdown' });
      this.countdowns.push([left, seat.expiresAt]);
      return h(
        'li',
        { dataset: { seatId: String(seat.id) } },
        h('span', { className: 'hold-seat', textContent: seatName(seat) }),
        left,
        h('button', {
          type: 'button',
          className: 'link',
          textContent: 'Release',
          disabled: pending.has(seat.id),
          dataset: { release: String(seat.id) },
          attrs: { 'aria-label': `Release seat ${seatName(seat)}` },
        }),
      );
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = sorted.length > 0;
    this.reservedLine.hidden = reserved.length === 0;
    this.reservedLine.textContent = `Reserved by you: ${reserved.map(seatName).join(', ')}`;
    this.reserveButton.disabled = this.busy || sorted.length === 0;
    this.reserveButton.textContent = sorted.length ? `Reserve my seats (${sorted.length})` : 'Reserve my seats';
    this.tick();
  }

  /** Shows the warning until the hold expires or `clearWarning()`. */
  warn(names: string, expiresAt: number): void {
    this.warning = { names, expiresAt };
    this.tick();
  }

  clearWarning(): void {
    this.warning = undefined;
    this.tick();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.reserveButton.disabled = busy || this.countdowns.length === 0;
  }

  onRelease(handler: (seatId: number) => void): void {
    this.list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-release]');
      if (button && !button.disabled) handler(Number(button.dataset.release));
    });
  }

  private tick(): void {
    const now = Date.now();
    const warning = this.warning && this.warning.expiresAt > now ? this.warning : undefined;
    this.warningLine.hidden = !warning;
    if (warning) {
      const seconds = Math.ceil((warning.expiresAt - now) / 1000);
      this.warningLine.textContent = `Your hold on ${warning.names} expires in ${clock(seconds)} — reserve now.`;
    }
    for (const [element, expiresAt] of this.countdowns) {
      if (expiresAt === undefined) {
        element.textContent = '';
        continue;
      }
      const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000));
      element.textContent = seconds > 0 ? `${clock(seconds)} left` : 'expiring…';
      element.classList.toggle('urgent', seconds <= 30);
    }
  }
}

/** 75 → "1:15". */
function clock(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
