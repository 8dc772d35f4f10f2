import type { Caller, Via } from './caller.js';
import type { GuestTokens } from './guest-tokens.js';
import { looksLikeGuestToken } from './guest-tokens.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { RevocationList } from './revocations.js';
import { secretMatcher } from './same-secret.js';

export interface IdentityOptions {
  /** Undefined: guest sessions are off (tokens are refused too). */
  guests: GuestTokens | undefined;
  /** Undefined: no operator JWTs. */
  jwt: JwtVerifier | undefined;
  /** ADMIN_TOKEN, the service credential; undefined: only a service JWT is one. */
  serviceToken: string | undefined;
  revocations: RevocationList;
}

/**
 * Turns a presented credential into a caller: the service token, a guest token, or an operator
 * JWT. Undefined means the credential is invalid (forged, expired, revoked): the caller answers
 * 401 rather than treating it as no credential at all.
 */
export class Identity {
  /** Whether a bearer token is the service token; undefined when there is none. */
  private readonly isServiceToken: ((token: string) => boolean) | undefined;

  constructor(private readonly options: IdentityOptions) {
    this.isServiceToken = options.serviceToken === undefined ? undefined : secretMatcher(options.serviceToken);
  }

  get guestSessions(): boolean {
    return this.options.guests !== undefined;
  }

  async resolve(token: string, via: Via, now = Date.now()): Promise<Caller | undefined> {
    const { guests, jwt, revocations } = this.options;
    // A buyer's every request: a signed guest token (remembered once verified) is the common
    // case, checked first; no genuine one is the service token, which is compared after it.
    const guest = looksLikeGuestToken(token) ? guests?.verify(token, now) : undefined;
    if (guest) {
      if (await revocations.isRevoked(guest.id)) return undefined;
      return { role: 'buyer', userId: guest.userId, expiresAt: guest.expiresAt, via, guest: true };
    }
    if (via === 'bearer' && this.isServiceToken?.(token)) return { role: 'service', via };
    if (looksLikeGuestToken(token)) return undefined;
    const claims = jwt && (await jwt(token));
    if (!claims) return undefined;
    if (claims.service) return { role: 'service', via };
    return { role: 'buyer', userId: claims.userId, expiresAt: claims.expiresAt, via, guest: false };
  }

  /** Revokes a guest token on every instance that shares the revocation list. */
  async logout(token: string, now = Date.now()): Promise<boolean> {
    const guest = this.options.guests?.verify(token, now);
    if (!guest) return false;
    await this.options.revocations.revoke(guest.id, guest.expiresAt);
    return true;
  }
}
