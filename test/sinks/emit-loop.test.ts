import type { Subscriber } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EmissionError,
  EmitFailureHandler,
  EmitResult,
  OverflowError,
  SinkHooks,
  type EmitSignal,
} from '../../src/sinks/index.js';
import { ManySinkBase } from '../../src/sinks/many-sink-base.js';
import { MulticastOneSink } from '../../src/sinks/one-sink.js';

// The emit* retry loop and what happens once the handler gives up, driven by scripted tryEmit* results
// so every EmitResult can be forced (Reactor's InternalManySinkTest / InternalOneSinkTest do the same with
// adapter sinks).

beforeEach(() => {
  SinkHooks.onErrorDropped = () => {}; // FAIL_TERMINATED scripts drop errors on purpose
});
afterEach(() => SinkHooks.reset());

type Script = (signal: EmitSignal) => EmitResult;

/** A Sinks.many() whose tryEmit* answer what the script says, recording errors it is asked to emit. */
class ScriptedManySink extends ManySinkBase<string> {
  readonly errors: unknown[] = [];
  constructor(private readonly script: Script) {
    super();
  }
  tryEmitNext(): EmitResult {
    return this.script('next');
  }
  tryEmitComplete(): EmitResult {
    return this.script('complete');
  }
  tryEmitError(error: unknown): EmitResult {
    this.errors.push(error);
    return this.script('error');
  }
  protected attach(_subscriber: Subscriber<string>): void {}
}

/** The same for Sinks.one(): the real emitValue/emitEmpty/emitError over scripted tryEmit*. */
class ScriptedOneSink extends MulticastOneSink<string> {
  readonly errors: unknown[] = [];
  constructor(private readonly script: Script) {
    super();
  }
  override tryEmitValue(): EmitResult {
    return this.script('next');
  }
  override tryEmitEmpty(): EmitResult {
    return this.script('complete');
  }
  override tryEmitError(error: unknown): EmitResult {
    this.errors.push(error);
    return this.script('error');
  }
}

const failures = Object.values(EmitResult).filter((r) => r !== EmitResult.OK);

/** Calls the emit* method for `signal`, returning what it threw (undefined if nothing). */
function emitOnce(sink: ScriptedManySink | ScriptedOneSink, signal: EmitSignal, handler: EmitFailureHandler) {
  try {
    if (signal === 'error') sink.emitError(new Error('boom'), handler);
    else if (sink instanceof ScriptedOneSink) {
      if (signal === 'next') sink.emitValue('v', handler);
      else sink.emitEmpty(handler);
    } else if (signal === 'next') sink.emitNext('v', handler);
    else sink.emitComplete(handler);
  } catch (error) {
    return error;
  }
  return undefined;
}

const kinds: Array<[string, (script: Script) => ScriptedManySink | ScriptedOneSink]> = [
  ['Sinks.many() (Reactor: InternalManySinkTest)', (script) => new ScriptedManySink(script)],
  ['Sinks.one() (Reactor: InternalOneSinkTest)', (script) => new ScriptedOneSink(script)],
];

describe.each(kinds)('emit* loop of %s', (_name, create) => {
  // Reactor: #shouldDelegateToHandler
  it.each(failures)('asks the handler about %s, and throws only for FAIL_NON_SERIALIZED', (result) => {
    for (const signal of ['next', 'error', 'complete'] as const) {
      const asked: Array<[EmitSignal, EmitResult]> = [];
      const thrown = emitOnce(
        create(() => result),
        signal,
        (s, r) => {
          asked.push([s, r]);
          return false;
        },
      );
      expect(asked[0]).toEqual([signal, result]);
      if (result === EmitResult.FAIL_NON_SERIALIZED) {
        expect(thrown).toBeInstanceOf(EmissionError);
        expect((thrown as EmissionError).result).toBe(EmitResult.FAIL_NON_SERIALIZED);
      } else {
        expect(thrown).toBeUndefined();
      }
    }
  });

  // Reactor: #shouldRetry, #shouldRetryUntilExitCondition
  it('retries while the handler says so, until tryEmit succeeds', () => {
    let attempts = 0;
    const sink = create(() => (++attempts === 5 ? EmitResult.OK : EmitResult.FAIL_NON_SERIALIZED));
    expect(emitOnce(sink, 'next', () => true)).toBeUndefined();
    expect(attempts).toBe(5);
  });

  // Reactor: InternalOneSinkTest#shouldRetry (first half): a handler that fixes the cause but says "no"
  it('does not try again when the handler declines, even if the next attempt would succeed', () => {
    let next: EmitResult = EmitResult.FAIL_NON_SERIALIZED;
    const sink = create(() => next);
    const thrown = emitOnce(sink, 'next', () => {
      next = EmitResult.OK;
      return false;
    });
    expect(thrown).toBeInstanceOf(EmissionError);
  });

  // Reactor: #shouldRethrowNonSerializedEmission
  it('FAIL_FAST on FAIL_NON_SERIALIZED throws an EmissionError', () => {
    expect(
      emitOnce(
        create(() => EmitResult.FAIL_NON_SERIALIZED),
        'next',
        EmitFailureHandler.FAIL_FAST,
      ),
    ).toBeInstanceOf(EmissionError);
  });

  // Reactor: #shouldFailOnOverflow
  it('FAIL_OVERFLOW on next turns into an emitError(OverflowError) with the same handler', () => {
    const asked: Array<[EmitSignal, EmitResult]> = [];
    const sink = create((signal) => (signal === 'next' ? EmitResult.FAIL_OVERFLOW : EmitResult.OK));
    emitOnce(sink, 'next', (s, r) => {
      asked.push([s, r]);
      return false;
    });
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]).toBeInstanceOf(OverflowError);
    expect((sink.errors[0] as Error).message).toBe(
      sink instanceof ScriptedOneSink
        ? 'Backpressure overflow during Sinks.One#emitValue'
        : 'Backpressure overflow during Sinks.Many#emitNext',
    );
    expect(asked).toEqual([['next', EmitResult.FAIL_OVERFLOW]]);
  });

  it('FAIL_TERMINATED hands the value / error to the dropped hooks; complete is silent', () => {
    const values: unknown[] = [];
    const errors: unknown[] = [];
    SinkHooks.onNextDropped = (v) => values.push(v);
    SinkHooks.onErrorDropped = (e) => errors.push(e);
    for (const signal of ['next', 'error', 'complete'] as const) {
      emitOnce(
        create(() => EmitResult.FAIL_TERMINATED),
        signal,
        EmitFailureHandler.FAIL_FAST,
      );
    }
    expect(values).toEqual(['v']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });
});

// Reactor: SinksTest.OptimisticEmitFailureHandlerTest
describe('EmitFailureHandler.busyLooping over a sink that is busy for a while', () => {
  it('keeps retrying FAIL_NON_SERIALIZED and succeeds once the sink frees up before the deadline', () => {
    let attempts = 0;
    const sink = new ScriptedOneSink(() => (++attempts < 5 ? EmitResult.FAIL_NON_SERIALIZED : EmitResult.OK));
    expect(() => sink.emitValue('Hello', EmitFailureHandler.busyLooping(500))).not.toThrow();
    expect(attempts).toBe(5);
  });

  it('gives up at the deadline and throws an EmissionError', () => {
    let now = 0;
    const clock = () => now;
    const handler = EmitFailureHandler.busyLooping(100, clock);
    // The sink stays busy for 1000 ms; every attempt costs 10 ms.
    const sink = new ScriptedOneSink(() => ((now += 10) > 1000 ? EmitResult.OK : EmitResult.FAIL_NON_SERIALIZED));
    expect(() => sink.emitValue('Hello', handler)).toThrow(EmissionError);
    expect(now).toBe(100);
  });
});
