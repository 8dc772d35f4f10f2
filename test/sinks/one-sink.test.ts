import { firstValueFrom, lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, SinkHooks, Sinks } from '../../src/sinks/index.js';
import { record, subscribeClosed } from './recorder.js';

afterEach(() => SinkHooks.reset());

describe('Sinks.one()', () => {
  it('sends value then complete to current subscribers and replays both to late ones', () => {
    const sink = Sinks.one<string>();
    const early = record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(1);
    expect(sink.tryEmitValue('v')).toBe(EmitResult.OK);
    const late = record(sink.asObservable());
    for (const rec of [early, late]) {
      expect(rec.values).toEqual(['v']);
      expect(rec.completed).toBe(true);
    }
    expect(sink.currentSubscriberCount()).toBe(0);
  });

  it('accepts exactly one outcome; later ones fail with FAIL_TERMINATED', () => {
    const sink = Sinks.one<number>();
    expect(sink.tryEmitValue(1)).toBe(EmitResult.OK);
    expect(sink.tryEmitValue(2)).toBe(EmitResult.FAIL_TERMINATED);
    expect(sink.tryEmitEmpty()).toBe(EmitResult.FAIL_TERMINATED);
    expect(sink.tryEmitError(new Error('x'))).toBe(EmitResult.FAIL_TERMINATED);
    expect(record(sink.asObservable()).values).toEqual([1]);
  });

  it('can complete empty or fail, and replays that', async () => {
    const empty = Sinks.one<number>();
    empty.emitEmpty(EmitFailureHandler.FAIL_FAST);
    const rec = record(empty.asObservable());
    expect(rec.values).toEqual([]);
    expect(rec.completed).toBe(true);

    const failing = Sinks.one<number>();
    const boom = new Error('boom');
    failing.emitError(boom, EmitFailureHandler.FAIL_FAST);
    await expect(firstValueFrom(failing.asObservable())).rejects.toBe(boom);
  });

  it('works as a promise with firstValueFrom/lastValueFrom', async () => {
    const sink = Sinks.one<number>();
    const pending = firstValueFrom(sink.asObservable());
    sink.emitValue(42, EmitFailureHandler.FAIL_FAST);
    await expect(pending).resolves.toBe(42);
    await expect(lastValueFrom(sink.asObservable())).resolves.toBe(42);
  });

  it('treats undefined as a value, not as empty', () => {
    const sink = Sinks.one<undefined>();
    sink.tryEmitValue(undefined);
    expect(record(sink.asObservable()).values).toEqual([undefined]);
  });

  it('emitValue on a terminated sink drops the value through SinkHooks.onNextDropped', () => {
    const dropped: unknown[] = [];
    SinkHooks.onNextDropped = (v) => dropped.push(v);
    const sink = Sinks.one<number>();
    sink.emitValue(1, EmitFailureHandler.FAIL_FAST);
    sink.emitValue(2, EmitFailureHandler.FAIL_FAST);
    expect(dropped).toEqual([2]);
  });
});

describe('Sinks.one() — Reactor SinkOneMulticastTest and SinksTest.SingleOrEmpty', () => {
  const dropped = () => {
    const seen = { values: [] as unknown[], errors: [] as unknown[] };
    SinkHooks.onNextDropped = (v) => seen.values.push(v);
    SinkHooks.onErrorDropped = (e) => seen.errors.push(e);
    return seen;
  };

  // Reactor: SinkOneMulticastTest#currentSubscriberCount, #currentSubscriberCountReflectsCancellation
  it('counts subscribers and forgets those that leave or arrive unsubscribed', () => {
    const sink = Sinks.one<number>();
    subscribeClosed(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(0);
    const a = record(sink.asObservable());
    record(sink.asObservable());
    expect(sink.currentSubscriberCount()).toBe(2);
    a.subscription.unsubscribe();
    expect(sink.currentSubscriberCount()).toBe(1);
  });

  // Reactor: SinksTest.SingleOrEmpty#singleOrEmptyIsCompletableOnlyOnce_* (six orderings)
  it.each([
    ['empty, then value', ['empty', 'value'], { values: [], completed: true }, { values: [-1], errors: [] }],
    ['empty, then error', ['empty', 'error'], { values: [], completed: true }, { values: [], errors: ['boom'] }],
    ['value, then empty', ['value', 'empty'], { values: [1], completed: true }, { values: [], errors: [] }],
    ['value, then error', ['value', 'error'], { values: [1], completed: true }, { values: [], errors: ['boom'] }],
    ['error, then value', ['error', 'value'], { values: [], completed: false }, { values: [-1], errors: [] }],
    ['error, then empty', ['error', 'empty'], { values: [], completed: false }, { values: [], errors: [] }],
  ])('%s: only the first outcome counts, the other is dropped or ignored', (_name, steps, seen, lost) => {
    const drops = dropped();
    const sink = Sinks.one<number>();
    const rec = record(sink.asObservable());
    steps.forEach((step, i) => {
      if (step === 'empty') sink.emitEmpty(EmitFailureHandler.FAIL_FAST);
      else if (step === 'error') sink.emitError(new Error('boom'), EmitFailureHandler.FAIL_FAST);
      else sink.emitValue(i === 0 ? 1 : -1, EmitFailureHandler.FAIL_FAST);
    });
    expect(rec.values).toEqual(seen.values);
    expect(rec.completed).toBe(seen.completed);
    expect(rec.errored).toBe(steps[0] === 'error');
    expect(drops.values).toEqual(lost.values);
    expect(drops.errors.map((e) => (e as Error).message)).toEqual(lost.errors);
  });

  // Reactor: SinkOneMulticastTest#doubleError, #doubleSignal
  it('emitError after an error or a value sends the new error to SinkHooks.onErrorDropped', () => {
    const drops = dropped();
    const failed = Sinks.one<string>();
    failed.emitError(new Error('test'), EmitFailureHandler.FAIL_FAST);
    failed.emitError(new Error('test2'), EmitFailureHandler.FAIL_FAST);
    const valued = Sinks.one<string>();
    valued.emitValue('test', EmitFailureHandler.FAIL_FAST);
    valued.emitError(new Error('test3'), EmitFailureHandler.FAIL_FAST);
    expect(drops.errors.map((e) => (e as Error).message)).toEqual(['test2', 'test3']);
  });

  // Reactor: SinksTest.SingleOrEmpty#canBe{Valued,Completed,Errored}{Early,Late}
  it('each outcome reaches subscribers that came before it and after it', () => {
    for (const emit of [
      (s: ReturnType<typeof Sinks.one<number>>) => s.tryEmitValue(1),
      (s: ReturnType<typeof Sinks.one<number>>) => s.tryEmitEmpty(),
      (s: ReturnType<typeof Sinks.one<number>>) => s.tryEmitError(new Error('boom')),
    ]) {
      const sink = Sinks.one<number>();
      const early = record(sink.asObservable());
      expect(emit(sink)).toBe(EmitResult.OK);
      const late = record(sink.asObservable());
      for (const key of ['values', 'completed', 'errored'] as const) expect(late[key]).toEqual(early[key]);
      expect(early.completed || early.errored).toBe(true);
    }
  });

  // The outcome is recorded before it is delivered, so a subscriber reacting to it sees a terminated sink
  // (Reactor swaps in its TERMINATED array before calling subscribers).
  it('emitting again from a subscriber callback fails with FAIL_TERMINATED', () => {
    const sink = Sinks.one<number>();
    const results: EmitResult[] = [];
    record(sink.asObservable(), () => results.push(sink.tryEmitValue(2), sink.tryEmitEmpty()));
    sink.tryEmitValue(1);
    expect(results).toEqual(['FAIL_TERMINATED', 'FAIL_TERMINATED']);
  });
});
