import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../src/auth/jwt-verifier.js';
import { type JwksServer, startJwksServer } from '../support/jwks-server.js';

const SECRET = 'an-hs256-secret-shared-with-the-idp-0123456789';
const hs256 = (claims: Record<string, unknown>, secret = SECRET, expiresIn: string | number = '10m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

/** An unsigned token (`alg: none`), which must never be accepted. */
function unsigned(claims: Record<string, unknown>): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
}

describe('operator JWTs, HS256', () => {
  const verify = createJwtVerifier({
    secret: SECRET,
    issuer: 'https://idp.example',
    audience: 'seats',
    roleClaim: 'role',
  })!;
  const claims = { sub: 'user-1', iss: 'https://idp.example', aud: 'seats' };

  it('accepts a valid token: sub is the user, the role claim makes a service', async () => {
    expect(await verify(await hs256(claims))).toMatchObject({ userId: 'user-1', service: false });
    expect(await verify(await hs256({ ...claims, role: 'service' }))).toMatchObject({ service: true });
    const { expiresAt } = (await verify(await hs256(claims, SECRET, '5m')))!;
    expect(expiresAt).toBeGreaterThan(Date.now() + 4 * 60_000);
  });

  it.each([
    ['a bad signature', () => hs256(claims, 'another-secret-that-is-long-enough-0123456789')],
    ['an expired token', () => hs256(claims, SECRET, Math.floor(Date.now() / 1000) - 60)],
    ['a wrong issuer', () => hs256({ ...claims, iss: 'https://evil.example' })],
    ['a wrong audience', () => hs256({ ...claims, aud: 'other' })],
    ['no subject', () => hs256({ iss: claims.iss, aud: claims.aud })],
    ['alg none', async () => unsigned(claims)],
    ['garbage', async () => 'not.a.jwt'],
  ])('refuses %s', async (_what, token) => {
    expect(await verify(await token())).toBeUndefined();
  });

  it('is off without a secret or a key set', () => {
    expect(createJwtVerifier({ roleClaim: 'role' })).toBeUndefined();
  });
});

describe('operator JWTs, from a JWKS endpoint', () => {
  let jwks: JwksServer;
  beforeAll(async () => {
    jwks = await startJwksServer();
  });
  afterAll(() => jwks.close());

  it('accepts RS256 and ES256 tokens signed by served keys, fetching the key set once', async () => {
    const verify = createJwtVerifier({ jwksUrl: jwks.url, roleClaim: 'roles' })!;
    expect(await verify(await jwks.sign({ sub: 'a' }))).toMatchObject({ userId: 'a', service: false });
    expect(await verify(await jwks.sign({ sub: 'b', roles: ['service'] }, { alg: 'ES256' }))).toMatchObject({
      userId: 'b',
      service: true,
    });
    expect(jwks.fetches).toBe(1);
  });

  it('refuses a token signed by a key it does not serve, an HS256 token and alg none', async () => {
    const verify = createJwtVerifier({ jwksUrl: jwks.url, roleClaim: 'role' })!;
    expect(await verify(await jwks.forge({ sub: 'a' }))).toBeUndefined();
    expect(await verify(await hs256({ sub: 'a' }))).toBeUndefined();
    expect(await verify(unsigned({ sub: 'a' }))).toBeUndefined();
  });
});
