/**
 * Credentials revoked before they expire (a guest's logout), shared by every instance when the
 * backend is shared. An entry lives as long as the credential would have, then goes by itself.
 */
export interface RevocationList {
  revoke(id: string, untilMs: number): Promise<void>;
  isRevoked(id: string): Promise<boolean>;
}
