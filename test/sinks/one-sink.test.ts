import { firstValueFrom, lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmitFailureHandler, EmitResult, SinkHooks, Sinks } from '../../src/sinks/index.js';
import { record } from './recorder.js';

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
