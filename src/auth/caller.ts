/**
 * Who is asking (docs/security.md, Roles). Each operation belongs to one role; nothing a buyer's
 * browser sends can do the service's work.
 */

/** How the credential arrived; `cookie` matters for the Origin check of mutations. */
export type Via = 'bearer' | 'cookie' | 'query';

export type Caller =
  /** No identity: may read seat maps and open seat streams. */
  | { readonly role: 'viewer' }
  /** A guest session or an operator JWT: holds and releases its own seats. */
  | {
      readonly role: 'buyer';
      readonly userId: string;
      /** Epoch ms the credential expires: a hold never outlives it. */
      readonly expiresAt: number;
      readonly via: Via;
      readonly guest: boolean;
    }
  /** The operator's backend (checkout, back office): ADMIN_TOKEN or a JWT with the service role. */
  | { readonly role: 'service'; readonly via: Via };

export type Buyer = Extract<Caller, { role: 'buyer' }>;

export const VIEWER: Caller = Object.freeze({ role: 'viewer' });
