import type { Subscriber } from 'rxjs';
import { reportSubscriberError } from './hooks.js';

// Subscribers created by `subscribe(observer)` already catch their handlers'
// errors; the try/catch guards custom Subscriber objects, so one throwing
// subscriber can neither stop delivery to the others nor leave a sink busy.

export function deliverNext<T>(subscribers: readonly Subscriber<T>[], value: T): void {
  for (let i = 0; i < subscribers.length; i++) {
    nextSafely(subscribers[i] as Subscriber<T>, value);
  }
}

export function nextSafely<T>(subscriber: Subscriber<T>, value: T): void {
  try {
    subscriber.next(value);
  } catch (error) {
    reportSubscriberError(error);
  }
}

export function terminateSafely(subscriber: Subscriber<unknown>, failed: boolean, error: unknown): void {
  try {
    if (failed) subscriber.error(error);
    else subscriber.complete();
  } catch (thrown) {
    reportSubscriberError(thrown);
  }
}
