import type { ConnectionState } from '../../src/client/index.js';

/** The connection state: live, connecting, "reconnecting in N s", offline (with a retry button). */
export class ConnectionBadge {
  private state: ConnectionState = { status: 'connecting', attempt: 0 };
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly badge: HTMLElement,
    private readonly retryButton: HTMLButtonElement,
  ) {}

  show(state: ConnectionState): void {
    this.state = state;
    clearInterval(this.timer);
    this.timer = undefined;
    this.badge.dataset.state = state.status;
    this.retryButton.hidden = state.status !== 'offline';
    if (state.status === 'reconnecting') this.timer = setInterval(() => this.draw(), 250);
    this.draw();
  }

  private draw(): void {
    const state = this.state;
    let text: string = state.status;
    if (state.status === 'reconnecting') {
      const seconds = Math.ceil((state.retryAt - Date.now()) / 1000);
      text = seconds > 0 ? `reconnecting in ${seconds} s` : 'reconnecting…';
    } else if (state.status === 'offline') {
      text = state.reason === 'network' ? 'offline (no network)' : 'offline';
    }
    if (this.badge.textContent !== text) this.badge.textContent = text;
  }
}
