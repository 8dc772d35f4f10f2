import type { Subscriber } from 'rxjs';
import { deliverNext } from './delivery.js';
import { EmitResult } from './emit-result.js';
import { ManySinkBase } from './many-sink-base.js';
import type { ReplayBuffer } from './replay-buffer.js';

/**
 * `replay().all() / latest() / latestOrDefault(v) / limit(...)` (Reactor's
 * SinkManyReplayProcessor): every value is kept in the history, even with no
 * subscriber (so tryEmitNext never fails with FAIL_ZERO_SUBSCRIBER), and a
 * new subscriber first receives the history, then the terminal signal if the
 * sink is done, else live values.
 */
export class ReplaySink<T> extends ManySinkBase<T> {
  constructor(private readonly history: ReplayBuffer<T>) {
    super();
  }

  tryEmitNext(value: T): EmitResult {
    if (this.done) return EmitResult.FAIL_TERMINATED;
    if (this.busy) return EmitResult.FAIL_NON_SERIALIZED;
    this.history.add(value);
    const subscribers = this.subscribers.snapshot();
    if (subscribers.length === 0) return EmitResult.OK;
    this.busy = true;
    try {
      deliverNext(subscribers, value);
    } finally {
      this.busy = false;
    }
    return EmitResult.OK;
  }

  tryEmitComplete(): EmitResult {
    return this.terminateNow(false, undefined);
  }

  tryEmitError(error: unknown): EmitResult {
    return this.terminateNow(true, error);
  }

  protected attach(subscriber: Subscriber<T>): void {
    // Counted from before its replay, as in Reactor. Safe: no value can be
    // emitted while we replay (below), so it cannot get one twice.
    const live = !this.done;
    if (live) this.register(subscriber);
    // Replaying is delivering: a re-entrant emission now would reach the
    // newcomer out of order, so it is refused like any other.
    const wasBusy = this.busy;
    this.busy = true;
    try {
      this.history.replayTo(subscriber);
    } finally {
      this.busy = wasBusy;
    }
    if (!live && !subscriber.closed) this.sendTerminal(subscriber);
  }
}
