import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

export interface JwtOptions {
  /** HS256: a secret shared with the operator's identity provider. */
  secret?: string | undefined;
  /** RS256 / ES256: the provider's key set, fetched and cached. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** The claim whose value `service` makes the caller the operator's backend. */
  roleClaim: string;
}

/** Who a valid token names. */
export interface JwtIdentity {
  readonly userId: string;
  readonly service: boolean;
  /** Epoch ms the token expires (Infinity when it has no `exp`). */
  readonly expiresAt: number;
}

export type JwtVerifier = (token: string) => Promise<JwtIdentity | undefined>;

/**
 * Verifies the operator's JWTs with jose. The algorithms are pinned per key kind, so a token
 * that names another algorithm (`none`, or HS256 signed with a public key) is refused; issuer and
 * audience are checked when configured; `sub` is the user id. Undefined when JWTs are off.
 */
export function createJwtVerifier(options: JwtOptions): JwtVerifier | undefined {
  const { secret, jwksUrl } = options;
  if (!secret && !jwksUrl) return undefined;
  const checks = {
    ...(options.issuer && { issuer: options.issuer }),
    ...(options.audience && { audience: options.audience }),
  };
  const verify: (token: string) => Promise<JWTPayload> = jwksUrl
    ? withKeySet(createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 }), checks)
    : async (token) => {
        const key = new TextEncoder().encode(secret);
        return (await jwtVerify(token, key, { ...checks, algorithms: ['HS256'] })).payload;
      };
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch {
      return undefined; // bad signature, expired, wrong issuer or audience, unknown key, malformed
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return undefined;
    const role = payload[options.roleClaim];
    const service = role === 'service' || (Array.isArray(role) && role.includes('service'));
    return { userId: payload.sub, service, expiresAt: payload.exp === undefined ? Infinity : payload.exp * 1000 };
  };
}

function withKeySet(keys: JWTVerifyGetKey, checks: { issuer?: string; audience?: string }) {
  return async (token: string) => (await jwtVerify(token, keys, { ...checks, algorithms: ['RS256', 'ES256'] })).payload;
}
