import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { GuestTokens } from '../../src/auth/guest-tokens.js';
import { Identity } from '../../src/auth/identity.js';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';
import { MemoryRevocations } from '../../src/backends/memory/memory-revocations.js';

const SECRET = 'an-hs256-secret-shared-with-the-idp-0123456789';
const jwt = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

function identity(overrides: Partial<ConstructorParameters<typeof Identity>[0]> = {}) {
  const guests = new GuestTokens('a-session-secret-of-at-least-32-chars!!', 60_000);
  const revocations = new MemoryRevocations();
  const id = new Identity({
    guests,
    jwt: createJwtVerifier({ secret: SECRET, roleClaim: 'role' }),
    serviceToken: 'the-service-token-0123',
    revocations,
    ...overrides,
  });
  return { id, guests, revocations };
}

describe('Identity', () => {
  it('knows the service token (bearer only), guest tokens and operator JWTs', async () => {
    const { id, guests } = identity();
    expect(await id.resolve('the-service-token-0123', 'bearer')).toEqual({ role: 'service', via: 'bearer' });
    expect(await id.resolve('the-service-token-0123', 'cookie')).toBeUndefined();
    expect(await id.resolve('the-service-token-0124', 'bearer')).toBeUndefined();
    // Guest tokens are checked first: a service token shaped like one is still the service token.
    const lookalike = identity({ serviceToken: 'guest-service-token.1.x' }).id;
    expect(await lookalike.resolve('guest-service-token.1.x', 'bearer')).toEqual({ role: 'service', via: 'bearer' });
    expect(await lookalike.resolve('guest-service-token.1.y', 'bearer')).toBeUndefined();
    const guest = guests.issue();
    expect(await id.resolve(guest.token, 'cookie')).toMatchObject({ role: 'buyer', userId: guest.userId, guest: true });
    expect(await id.resolve(await jwt({ sub: 'u1' }), 'bearer')).toMatchObject({ role: 'buyer', userId: 'u1' });
    expect(await id.resolve(await jwt({ sub: 'ops', role: 'service' }), 'query')).toEqual({
      role: 'service',
      via: 'query',
    });
  });

  it('refuses a forged, expired or revoked guest token, and every guest token when guests are off', async () => {
    const { id, guests } = identity();
    const guest = guests.issue();
    const [payload] = guest.token.split('.', 1);
    expect(await id.resolve(`${payload}.9999999999.forged`, 'bearer')).toBeUndefined();
    expect(await id.resolve(guest.token, 'bearer', guest.expiresAt)).toBeUndefined();
    expect(await id.logout(guest.token)).toBe(true);
    expect(await id.resolve(guest.token, 'bearer')).toBeUndefined();
    const other = guests.issue();
    expect(await id.resolve(other.token, 'bearer')).toMatchObject({ userId: other.userId });
    expect(await identity({ guests: undefined }).id.resolve(other.token, 'bearer')).toBeUndefined();
  });
});

describe('MemoryRevocations', () => {
  it('forgets a revocation once its credential would have expired', async () => {
    let now = 1_000;
    const list = new MemoryRevocations(() => now);
    await list.revoke('a', 2_000);
    expect(await list.isRevoked('a')).toBe(true);
    now = 2_000;
    expect(await list.isRevoked('a')).toBe(false);
    await list.revoke('b', 3_000); // sweeps the expired entry
    expect(await list.isRevoked('b')).toBe(true);
  });
});
