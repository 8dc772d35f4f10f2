import { describe, expect, it } from 'vitest';
import { GuestTokens } from '../../src/auth/guest-tokens.js';

const SECRET = 'a-session-secret-of-at-least-32-chars!!';

describe('GuestTokens', () => {
  it('accepts its own tokens until they expire, whether verified before or not', () => {
    const guests = new GuestTokens(SECRET, 60_000);
    const now = 1_800_000_000_000;
    const guest = guests.issue(now);
    const seen = guests.verify(guest.token, now);
    expect(seen).toEqual({ userId: guest.userId, expiresAt: guest.expiresAt, id: guest.id });
    // Remembered now: still checked against the clock.
    expect(guests.verify(guest.token, guest.expiresAt - 1)).toEqual(seen);
    expect(guests.verify(guest.token, guest.expiresAt)).toBeUndefined();
    // A token first seen after its expiry is refused as well.
    const late = guests.issue(now);
    expect(guests.verify(late.token, late.expiresAt + 1)).toBeUndefined();
  });

  it('refuses a token altered in any part, beside a remembered genuine one', () => {
    const guests = new GuestTokens(SECRET, 60_000);
    const guest = guests.issue();
    expect(guests.verify(guest.token)).toBeDefined();
    const [userId, expiry, signature] = guest.token.split('.') as [string, string, string];
    const flip = (text: string) => text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A');
    for (const forged of [
      `${flip(userId)}.${expiry}.${signature}`,
      `${userId}.${Number(expiry) + 3600}.${signature}`,
      `${userId}.${expiry}.${flip(signature)}`,
      `${guest.token}.`,
      guest.token.slice(0, -1),
    ])
      expect(guests.verify(forged), forged).toBeUndefined();
    expect(new GuestTokens('another-secret-of-at-least-32-chars!!!', 60_000).verify(guest.token)).toBeUndefined();
  });

  it('remembers 10,000 tokens at most, and verifies one it forgot again', () => {
    const guests = new GuestTokens(SECRET, 60_000);
    const first = guests.issue();
    expect(guests.verify(first.token)?.userId).toBe(first.userId);
    for (let i = 0; i < 10_050; i++) guests.verify(guests.issue().token);
    // What it remembers, a private field: the bound is the point of this test.
    const { verified } = guests as unknown as { verified: Map<string, unknown> };
    expect(verified.size).toBe(10_000);
    expect(verified.has(first.token)).toBe(false); // the oldest left first
    expect(guests.verify(first.token)?.userId).toBe(first.userId);
    expect(guests.verify(`${first.token}x`)).toBeUndefined();
  });
});
