import type { JWTPayload, JWTVerifyGetKey } from 'jose';

type Jose = typeof import('jose');

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
  // Loaded only when JWTs are configured (it is megabytes of a process's memory otherwise unused),
  // from here on, so it is there by the first token.
  const verifying = import('jose').then((jose) => verifyWith(jose, options));
  verifying.catch(() => {}); // a failure is every verification's answer, not an unhandled rejection
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await (await verifying)(token);
    } catch {
      return undefined; // bad signature, expired, wrong issuer or audience, unknown key, malformed
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return undefined;
    const role = payload[options.roleClaim];
    const service = role === 'service' || (Array.isArray(role) && role.includes('service'));
    return { userId: payload.sub, service, expiresAt: payload.exp === undefined ? Infinity : payload.exp * 1000 };
  };
}

/** The signature and claims check of `options`: HS256 with the secret, or RS256/ES256 with the key set. */
function verifyWith({ createRemoteJWKSet, jwtVerify }: Jose, options: JwtOptions) {
  const { secret, jwksUrl } = options;
  const checks = {
    ...(options.issuer && { issuer: options.issuer }),
    ...(options.audience && { audience: options.audience }),
  };
  if (jwksUrl) {
    const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(jwksUrl), {
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: 5_000,
    });
    return async (token: string) =>
      (await jwtVerify(token, keys, { ...checks, algorithms: ['RS256', 'ES256'] })).payload;
  }
  const key = new TextEncoder().encode(secret);
  return async (token: string) => (await jwtVerify(token, key, { ...checks, algorithms: ['HS256'] })).payload;
}
