import { type Observable, Subscriber, type Subscription } from 'rxjs';

/** Everything a subscriber saw, for assertions. */
export interface Recording<T> {
  values: T[];
  completed: boolean;
  error: unknown;
  errored: boolean;
  subscription: Subscription;
}

export function record<T>(source: Observable<T>, onValue?: (value: T) => void): Recording<T> {
  const rec = { values: [] as T[], completed: false, error: undefined as unknown, errored: false } as Recording<T>;
  rec.subscription = source.subscribe({
    next: (value) => {
      rec.values.push(value);
      onValue?.(value);
    },
    complete: () => {
      rec.completed = true;
    },
    error: (error: unknown) => {
      rec.errored = true;
      rec.error = error;
    },
  });
  return rec;
}

/** Lets RxJS's timer-based error reporting run. */
export function flushTimers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Subscribes with a subscriber that is already unsubscribed, the RxJS form of Reactor's
 * "cancel from onSubscribe": the sink sees it arrive closed.
 */
export function subscribeClosed<T>(source: Observable<T>): Recording<T> {
  const rec = { values: [] as T[], completed: false, error: undefined as unknown, errored: false } as Recording<T>;
  const subscriber = new Subscriber<T>({
    next: (value) => rec.values.push(value),
    complete: () => {
      rec.completed = true;
    },
    error: (error: unknown) => {
      rec.errored = true;
      rec.error = error;
    },
  });
  subscriber.unsubscribe();
  rec.subscription = source.subscribe(subscriber);
  return rec;
}
