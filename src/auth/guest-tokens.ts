import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface GuestToken {
  readonly userId: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** Names this token in the revocation list (a digest: the list never holds a usable token). */
  readonly id: string;
}

/**
 * Guest identities as signed tokens `guest-<uuid>.<expiry s>.<HMAC-SHA256>`. Nothing is stored
 * per session, so every instance that shares the secret accepts them; a logout is the only
 * state, kept in the revocation list.
 */
export class GuestTokens {
  private readonly key: Buffer;
  /**
   * Tokens verified lately, so that a buyer's every request does not redo the HMAC and the
   * digest: only tokens whose signature checked out get in, and the oldest leave first.
   */
  private readonly verified = new Map<string, GuestToken>();

  constructor(
    secret: string | undefined,
    readonly ttlMs: number,
  ) {
    this.key = secret ? Buffer.from(secret) : randomBytes(32);
  }

  issue(now = Date.now()): GuestToken & { token: string } {
    const userId = `guest-${randomUUID()}`;
    const expiry = Math.floor((now + this.ttlMs) / 1000);
    const payload = `${userId}.${expiry}`;
    const token = `${payload}.${this.sign(payload)}`;
    return { userId, token, expiresAt: expiry * 1000, id: tokenId(token) };
  }

  /** The token's identity, or undefined when it is forged, malformed or expired. */
  verify(token: string, now = Date.now()): GuestToken | undefined {
    const known = this.verified.get(token);
    if (known) return known.expiresAt > now ? known : undefined;
    const guest = this.check(token, now);
    if (guest) {
      if (this.verified.size >= VERIFIED_KEPT) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, guest);
    }
    return guest;
  }

  private check(token: string, now: number): GuestToken | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts[0]!.startsWith('guest-')) return undefined;
    const [userId, expiry, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${userId}.${expiry}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (!/^\d{1,12}$/.test(expiry) || Number(expiry) * 1000 <= now) return undefined;
    return { userId, expiresAt: Number(expiry) * 1000, id: tokenId(token) };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** How many verified tokens are remembered (about 2 MB at most). */
const VERIFIED_KEPT = 10_000;

function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A guest token, not a JWT (whose first part is base64url JSON). */
export function looksLikeGuestToken(token: string): boolean {
  return token.startsWith('guest-');
}
