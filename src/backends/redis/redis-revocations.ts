import type { RevocationList } from '../../auth/revocations.js';
import type { RedisContext } from './redis-context.js';

/** Revoked credentials in Redis, so a logout on one instance holds on all; each key expires with its credential. */
export class RedisRevocations implements RevocationList {
  constructor(private readonly ctx: RedisContext) {}

  async revoke(id: string, untilMs: number): Promise<void> {
    const ttl = Math.ceil(untilMs - Date.now());
    if (ttl <= 0) return;
    await this.ctx.run(() => this.ctx.client.set(this.key(id), '1', 'PX', ttl));
  }

  async isRevoked(id: string): Promise<boolean> {
    return (await this.ctx.run(() => this.ctx.client.exists(this.key(id)))) === 1;
  }

  private key(id: string): string {
    return `${this.ctx.prefix}revoked:${id}`;
  }
}
