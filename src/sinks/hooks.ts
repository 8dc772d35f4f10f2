import { config } from 'rxjs/internal/config';

/**
 * Where signals that have nowhere to go end up, like Reactor's
 * `Hooks.onNextDropped` / `Hooks.onErrorDropped`. Replace the functions to
 * observe them (tests, metrics); `reset()` restores the defaults.
 */
export const SinkHooks = {
  /** A value given to `emitNext`/`emitValue` on an already terminated sink. */
  onNextDropped: ignoreDroppedValue as (value: unknown) => void,
  /** An error given to `emitError` on an already terminated sink. */
  onErrorDropped: reportDroppedError as (error: unknown) => void,
  reset(): void {
    SinkHooks.onNextDropped = ignoreDroppedValue;
    SinkHooks.onErrorDropped = reportDroppedError;
  },
};

function ignoreDroppedValue(): void {
  // Reactor only logs dropped values at DEBUG level.
}

function reportDroppedError(error: unknown): void {
  // Reactor logs dropped errors at ERROR level; we use RxJS's hook when set,
  // and never throw: a late emitError must not crash the process.
  const handler = config.onUnhandledError;
  if (handler) handler(error);
  else console.error('[seatstream/sinks] error dropped: the sink was already terminated', error);
}

/**
 * Reports an error thrown by a subscriber the way RxJS does for its own
 * subscribers (config.onUnhandledError, else rethrow on a timer), so the
 * sink can carry on delivering to the others.
 */
export function reportSubscriberError(error: unknown): void {
  setTimeout(() => {
    const handler = config.onUnhandledError;
    if (handler) handler(error);
    else throw error;
  });
}
