import type { RevocationList } from '../../auth/revocations.js';

/** Revoked credentials of this process; an entry is dropped once its credential has expired. */
export class MemoryRevocations implements RevocationList {
  private readonly until = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  async revoke(id: string, untilMs: number): Promise<void> {
    this.sweep();
    this.until.set(id, untilMs);
  }

  async isRevoked(id: string): Promise<boolean> {
    const until = this.until.get(id);
    return until !== undefined && until > this.clock();
  }

  /** Amortised: each revoke drops what expired, so the map holds only live revocations. */
  private sweep(): void {
    const now = this.clock();
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
  }
}
