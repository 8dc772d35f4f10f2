/** A status line at the bottom of the page for results and errors. */
export class Toast {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly element: HTMLElement) {}

  show(message: string, kind: 'info' | 'error' = 'info'): void {
    this.element.textContent = message;
    this.element.dataset.kind = kind;
    this.element.classList.add('show');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.element.classList.remove('show'), kind === 'error' ? 8000 : 4000);
  }
}
