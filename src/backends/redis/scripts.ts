import { readFileSync } from 'node:fs';

/**
 * The scripts live beside this file as named `.lua` files (the build copies them to `dist/`), read
 * when a Redis backend is built: the memory backend never needs them.
 */
const LUA_DIR = new URL('./lua/', import.meta.url);

function read(name: string): string {
  return readFileSync(new URL(`${name}.lua`, LUA_DIR), 'utf8');
}

/** A script as Redis runs it: the shared files it builds on, then its own. */
function compose(name: string, ...preludes: string[]): string {
  return [...preludes, name].map(read).join('\n');
}

export interface ScriptDefinition {
  readonly numberOfKeys: number;
  readonly lua: string;
}

/** The bus's scripts: each appends, reads or inspects one topic (keys meta and stream). */
export const busScripts = () =>
  ({
    busAppend: { numberOfKeys: 2, lua: compose('bus-append', 'topic') },
    busHead: { numberOfKeys: 1, lua: compose('bus-head', 'topic') },
    busReadAfter: { numberOfKeys: 2, lua: compose('bus-read-after', 'topic') },
  }) satisfies Record<string, ScriptDefinition>;

/**
 * The seat store's scripts: keys meta, stream, seats, expiry, cooldown, held-by-user,
 * held-by-address, orders, unwarned and expired of one schedule (see seats.lua).
 */
export const seatScripts = () =>
  ({
    seatCreate: { numberOfKeys: 10, lua: compose('seat-create', 'topic', 'seats') },
    seatState: { numberOfKeys: 10, lua: compose('seat-state', 'topic', 'seats') },
    seatHold: { numberOfKeys: 10, lua: compose('seat-hold', 'topic', 'seats') },
    seatRelease: { numberOfKeys: 10, lua: compose('seat-release', 'topic', 'seats') },
    seatReserveOrder: { numberOfKeys: 10, lua: compose('seat-reserve-order', 'topic', 'seats') },
    seatReleaseAny: { numberOfKeys: 10, lua: compose('seat-release-any', 'topic', 'seats') },
    seatExpire: { numberOfKeys: 10, lua: compose('seat-expire', 'topic', 'seats') },
    seatImport: { numberOfKeys: 10, lua: compose('seat-import', 'topic', 'seats') },
    seatSummary: { numberOfKeys: 10, lua: compose('seat-summary', 'topic', 'seats') },
    seatDelete: { numberOfKeys: 10, lua: compose('seat-delete', 'topic', 'seats') },
    seatNotices: { numberOfKeys: 10, lua: compose('seat-notices', 'topic', 'seats') },
  }) satisfies Record<string, ScriptDefinition>;

/** The window counters' scripts (rate limits). */
export const counterScripts = () =>
  ({
    counterIncrement: { numberOfKeys: 1, lua: compose('counter-increment') },
    counterForgive: { numberOfKeys: 1, lua: compose('counter-forgive') },
  }) satisfies Record<string, ScriptDefinition>;
