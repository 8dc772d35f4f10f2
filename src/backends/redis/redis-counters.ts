import type { WindowCount, WindowCounters } from '../../auth/counters.js';
import type { RedisContext } from './redis-context.js';
import { counterScripts } from './scripts.js';

interface Scripts {
  counterIncrement(key: string, windowMs: number): Promise<[number, number]>;
  counterForgive(key: string): Promise<number>;
}

/** Window counters in Redis, so a limit holds across every instance; each key expires with its window. */
export class RedisCounters implements WindowCounters {
  private readonly scripts: Scripts;

  constructor(private readonly ctx: RedisContext) {
    ctx.define(counterScripts());
    this.scripts = ctx.client as unknown as Scripts;
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttlMs] = await this.ctx.run(() => this.scripts.counterIncrement(this.key(key), windowMs));
    return { count: Number(count), ttlMs: Number(ttlMs) };
  }

  async peek(key: string): Promise<WindowCount> {
    const name = this.key(key);
    const [count, ttlMs] = await this.ctx.run(() =>
      Promise.all([this.ctx.client.get(name), this.ctx.client.pttl(name)]),
    );
    return count === null || ttlMs < 0 ? { count: 0, ttlMs: 0 } : { count: Number(count), ttlMs };
  }

  async forgive(key: string): Promise<void> {
    await this.ctx.run(() => this.scripts.counterForgive(this.key(key)));
  }

  private key(key: string): string {
    return `${this.ctx.prefix}count:${key}`;
  }
}
