import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface JwksServer {
  /** http://127.0.0.1:<port>/.well-known/jwks.json */
  url: string;
  /** Signs a token with the served key (or `alg` ES256 with its own served key). */
  sign(
    claims: Record<string, unknown>,
    options?: { alg?: 'RS256' | 'ES256'; expiresIn?: string | number },
  ): Promise<string>;
  /** Signs with a key that is not served (a forger's). */
  forge(claims: Record<string, unknown>): Promise<string>;
  /** How many times the key set was fetched. */
  fetches: number;
  close(): Promise<void>;
}

/** A real JWKS endpoint on an ephemeral port, as an operator's identity provider serves one. */
export async function startJwksServer(): Promise<JwksServer> {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('RS256');
  const keys: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const state = { fetches: 0 };
  const server = http.createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    state.fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sign = async (
    claims: Record<string, unknown>,
    key: CryptoKey,
    alg: string,
    kid: string,
    expiresIn: string | number = '10m',
  ) => new SignJWT(claims).setProtectedHeader({ alg, kid }).setIssuedAt().setExpirationTime(expiresIn).sign(key);
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    sign: (claims, options = {}) =>
      options.alg === 'ES256'
        ? sign(claims, ec.privateKey, 'ES256', 'ec-1', options.expiresIn)
        : sign(claims, rsa.privateKey, 'RS256', 'rsa-1', options.expiresIn),
    forge: (claims) => sign(claims, stranger.privateKey, 'RS256', 'rsa-1'),
    get fetches() {
      return state.fetches;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
