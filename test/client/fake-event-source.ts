import type { EventSourceLike } from '../../src/client/index.js';

type Listener = (event: unknown) => void;

/** An EventSource driven by the test: open it, send frames, fail it like a browser would. */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  static last(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1);
    if (!last) throw new Error('no EventSource was created');
    return last;
  }

  static reset(): void {
    FakeEventSource.instances = [];
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  close(): void {
    this.readyState = 2;
  }

  get closed(): boolean {
    return this.readyState === 2;
  }

  open(): void {
    this.readyState = 1;
    this.dispatch('open', {});
  }

  send(type: string, data: unknown, lastEventId = ''): void {
    this.dispatch(type, { data: typeof data === 'string' ? data : JSON.stringify(data), lastEventId });
  }

  /** The connection broke: the browser reconnects by itself (CONNECTING) or gives up (CLOSED). */
  fail(giveUp = false): void {
    this.readyState = giveUp ? 2 : 0;
    this.dispatch('error', {});
  }

  private dispatch(type: string, event: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}
