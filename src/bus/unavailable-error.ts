/**
 * The shared store cannot be reached (down, hung, or timing out). Callers answer 503 and nothing
 * was applied: commands are never queued while disconnected, so none runs later by surprise.
 */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';

  constructor(cause: unknown) {
    super(`storage unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
