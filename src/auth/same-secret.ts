import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A check of presented secrets against one expected secret, in constant time: both sides are
 * compared as digests, so the comparison takes the same time whatever the lengths, and nothing
 * leaks how much matched. The expected secret is digested once, here; each check digests only
 * what was presented (the service token is checked on every request with a bearer token).
 */
export function secretMatcher(expected: string): (given: string) => boolean {
  const want = digest(expected);
  return (given) => timingSafeEqual(digest(given), want);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
