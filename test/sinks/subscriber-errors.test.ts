import { config, Subscriber, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmitResult, Sinks } from '../../src/sinks/index.js';
import type { ManySink } from '../../src/sinks/index.js';
import { flushTimers, record } from './recorder.js';

let reported: unknown[] = [];
const previousHandler = config.onUnhandledError;

beforeEach(() => {
  reported = [];
  config.onUnhandledError = (error) => reported.push(error);
});
afterEach(() => {
  config.onUnhandledError = previousHandler;
});

/** A full Observer whose next throws; wrapped in a plain Subscriber, RxJS does not catch it. */
function throwingObserver(message: string) {
  return {
    next: (): void => {
      throw new Error(message);
    },
    error: (): void => {},
    complete: (): void => {},
  };
}

const kinds: Array<[string, () => ManySink<number>]> = [
  ['directBestEffort', () => Sinks.many().multicast().directBestEffort<number>()],
  ['directAllOrNothing', () => Sinks.many().multicast().directAllOrNothing<number>()],
  ['onBackpressureBuffer', () => Sinks.many().multicast().onBackpressureBuffer<number>()],
  ['replay().all', () => Sinks.many().replay().all<number>()],
  ['replay().limit', () => Sinks.many().replay().limit<number>(4)],
];

describe.each(kinds)('a throwing subscriber on %s', (_name, create) => {
  it('(observer callback) does not stop delivery to others nor leave the sink busy', async () => {
    const sink = create();
    record(sink.asObservable(), () => {
      throw new Error('handler');
    });
    const healthy = record(sink.asObservable());
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(sink.tryEmitComplete()).toBe(EmitResult.OK);
    expect(healthy.values).toEqual([1, 2]);
    expect(healthy.completed).toBe(true);
    await flushTimers();
    expect(reported).toHaveLength(2); // RxJS reported each throw via config.onUnhandledError
  });

  it('(raw Subscriber whose next throws) is caught by the sink and reported the RxJS way', async () => {
    const sink = create();
    sink.asObservable().subscribe(new Subscriber<number>(throwingObserver('raw')));
    const healthy = record(sink.asObservable());
    expect(sink.tryEmitNext(1)).toBe(EmitResult.OK);
    expect(sink.tryEmitNext(2)).toBe(EmitResult.OK);
    expect(healthy.values).toEqual([1, 2]);
    await flushTimers();
    expect(reported.map((e) => (e as Error).message)).toEqual(['raw', 'raw']);
  });
});

describe('errors thrown inside operators', () => {
  it('end only that subscriber, as RxJS does', () => {
    const sink = Sinks.many().multicast().directBestEffort<number>();
    const broken = record(
      sink.asObservable().pipe(
        tap(() => {
          throw new Error('in operator');
        }),
      ),
    );
    const healthy = record(sink.asObservable());
    sink.tryEmitNext(1);
    expect((broken.error as Error).message).toBe('in operator');
    expect(sink.currentSubscriberCount()).toBe(1);
    sink.tryEmitNext(2);
    expect(healthy.values).toEqual([1, 2]);
  });
});

describe('throwing subscribers on the other sinks', () => {
  it('unicast and one keep working after a throwing subscriber', async () => {
    const unicast = Sinks.many().unicast().onBackpressureBuffer<number>();
    unicast.asObservable().subscribe(new Subscriber<number>(throwingObserver('u')));
    expect(unicast.tryEmitNext(1)).toBe(EmitResult.OK);
    expect(unicast.tryEmitNext(2)).toBe(EmitResult.OK);

    const one = Sinks.one<number>();
    record(one.asObservable(), () => {
      throw new Error('o');
    });
    const healthy = record(one.asObservable());
    expect(one.tryEmitValue(1)).toBe(EmitResult.OK);
    expect(healthy.values).toEqual([1]);
    expect(healthy.completed).toBe(true);
    await flushTimers();
    expect(reported.map((e) => (e as Error).message)).toEqual(['u', 'u', 'o']);
  });
});
