import type { Cluster, Redis } from 'ioredis';
import { StorageUnavailableError } from '../../bus/unavailable-error.js';
import type { EventBus } from '../../bus/event-bus.js';
import type { EventId } from '../../protocol/event-id.js';
import { DELETED_EVENT } from '../../protocol/sse-frames.js';
import {
  type Layout,
  rowLabel,
  type ScheduleState,
  type SeatState,
  seatCount,
  seatPosition,
} from '../../seats/seat.js';
import { SeatError, type SeatErrorCode } from '../../seats/seat-error.js';
import { scheduleTopic } from '../../seats/seat-events.js';
import type {
  HoldCommand,
  HoldNotice,
  ImportCommand,
  ImportResult,
  MutationResult,
  ReleaseAnyCommand,
  ReleaseAnyResult,
  ReserveOrderCommand,
  ScheduleSummary,
  SeatCommand,
  SeatStore,
} from '../../seats/seat-store.js';
import { type RedisContext, SCRIPT_START_DEADLINE_MS, topicKeys } from './redis-context.js';
import { seatScripts } from './scripts.js';

type Reply = Array<string | number>;
type Script = (keysAndArgs: (string | number)[]) => Promise<unknown>;

/** What every mutation names: the schedule, the seats, the time, and the cool-down for the holds it expires. */
interface Mutation {
  readonly scheduleId: number;
  readonly seatIds: readonly number[];
  readonly now: number;
  readonly cooldownMs?: number;
}

/**
 * Seats in Redis, one Lua script per mutation (`lua/seat-*.lua`). Keys of a schedule share the hash tag
 * of its topic, `{schedule:42}`, so the store runs unchanged on Redis Cluster: next to the bus's
 * `:meta` and `:stream`, `:seats` (a field per seat not available), `:expiry` (held seats by expiry),
 * `:cooldown` (`<seat>|<user>` by the end of its cool-down), `:held-by-user` and `:held-by-address`
 * (counts of held seats), `:orders` (order id → its sorted seat ids), and for the holders' notices
 * `:unwarned` (held seats not yet announced as expiring) and `:expired` (an outbox of expiries);
 * field formats in seats.lua.
 * No script writes anything for a schedule that does not exist.
 */
export class RedisSeatStore implements SeatStore {
  private readonly client: Redis | Cluster;
  /** Schedules that may have holds, for the sweep; a plain set outside any one slot. */
  private readonly holdsKey: string;
  /** Every schedule's id, for the list; a plain set outside any one slot, kept beside the scripts. */
  private readonly schedulesKey: string;

  /** `bus`: the backend's bus, whose observer hears of the events these scripts append. */
  constructor(
    private readonly ctx: RedisContext,
    private readonly bus?: EventBus,
  ) {
    this.client = ctx.client;
    this.holdsKey = `${ctx.prefix}schedules-with-holds`;
    this.schedulesKey = `${ctx.prefix}schedules`;
    ctx.define(seatScripts());
  }

  async createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'> {
    const reply = await this.call('seatCreate', scheduleId, Date.now(), 0, layout.rows, layout.seatsPerRow);
    const outcome = reply as 'created' | 'unchanged' | Reply;
    if (typeof outcome !== 'string') throw refusal(outcome);
    await this.listed(scheduleId);
    return outcome;
  }

  async importSchedule(command: ImportCommand): Promise<ImportResult> {
    const { scheduleId, layout } = command;
    const args = [layout.rows, layout.seatsPerRow, ...command.reserved];
    const reply = (await this.callWith('seatImport', scheduleId, command.now, command.cooldownMs ?? 0, args)) as Reply;
    if (reply[0] === 'err') throw refusal(reply);
    this.appended(Number(reply[3]));
    await this.listed(scheduleId);
    const [, offset, epoch, events, rows, cols, outcome, ...reserved] = reply;
    return {
      outcome: outcome as ImportResult['outcome'],
      layout: { rows: Number(rows), seatsPerRow: Number(cols) },
      reserved: reserved.map(Number),
      eventId: { offset: Number(offset), epoch: String(epoch) },
      events: Number(events),
    };
  }

  async listSchedules(): Promise<ScheduleSummary[]> {
    const ids = (await this.ctx.run(() => this.client.smembers(this.schedulesKey))).map(Number).sort((a, b) => a - b);
    // One small script per schedule, sent together; an id whose schedule is gone (a delete whose
    // SREM failed) is skipped.
    const replies = await Promise.all(ids.map((id) => this.call('seatSummary', id, Date.now(), 0)));
    const schedules: ScheduleSummary[] = [];
    ids.forEach((scheduleId, i) => {
      const reply = replies[i] as [string, string, number, number, number, string] | [];
      if (reply.length === 0) return;
      const [rows, cols, taken, held, offset, epoch] = reply;
      const layout = { rows: Number(rows), seatsPerRow: Number(cols) };
      schedules.push({
        scheduleId,
        layout,
        available: seatCount(layout) - taken,
        held,
        reserved: taken - held,
        lastEventId: { offset: Number(offset), epoch },
      });
    });
    return schedules;
  }

  async deleteSchedule(scheduleId: number): Promise<void> {
    const reply = await this.call('seatDelete', scheduleId, Date.now(), 0, DELETED_EVENT);
    if (reply !== 'deleted') throw refusal(reply as Reply);
    await this.ctx.run(() => this.client.srem(this.schedulesKey, scheduleId));
    // Created again between the script and SREM: it stays listed.
    if (await this.exists(scheduleId)) await this.listed(scheduleId);
  }

  /**
   * Lists a schedule that exists, after the script that made it: a failure here fails the request,
   * whose retry (create and import are idempotent) lists it then.
   */
  private async listed(scheduleId: number): Promise<void> {
    await this.ctx.run(() => this.client.sadd(this.schedulesKey, scheduleId));
  }

  async exists(scheduleId: number): Promise<boolean> {
    const { meta } = topicKeys(this.ctx.prefix, scheduleTopic(scheduleId));
    return (await this.ctx.run(() => this.ctx.reader.hexists(meta, 'rows'))) === 1;
  }

  async state(scheduleId: number): Promise<ScheduleState> {
    const reply = (await this.callWith('seatState', scheduleId, Date.now(), 0, [], this.ctx.reader)) as unknown as
      | [string, string, number, string, string[]]
      | [];
    if (reply.length === 0) throw new SeatError('SCHEDULE_NOT_FOUND');
    const [rows, cols, offset, epoch, fields] = reply;
    const layout = { rows: Number(rows), seatsPerRow: Number(cols) };
    // A big venue's map is read at every new offset: 100,000 seats here are made row by row (a
    // row's label once), looked up by index and parsed without regular expressions or spreads.
    const taken: (string | undefined)[] = new Array(seatCount(layout) + 1);
    for (let i = 0; i < fields.length; i += 2) taken[Number(fields[i])] = fields[i + 1];
    const seats: SeatState[] = new Array(seatCount(layout));
    let id = 0;
    for (let r = 0; r < layout.rows; r++) {
      const row = rowLabel(r);
      for (let number = 1; number <= layout.seatsPerRow; number++) {
        id++;
        seats[id - 1] = seatOf(id, row, number, taken[id] ?? '');
      }
    }
    return { scheduleId, seats, lastEventId: { offset: Number(offset), epoch } };
  }

  async hold(command: HoldCommand): Promise<MutationResult> {
    const expiresAt = Math.min(command.now + command.ttlMs, Math.floor(command.notAfter ?? Number.POSITIVE_INFINITY));
    const result = await this.mutate('seatHold', command, [
      command.userId,
      expiresAt,
      command.maxPerUser,
      command.address ? encodeURIComponent(command.address) : '',
      command.maxPerAddress ?? 0,
    ]);
    // The hold is done; failing to list the schedule for the sweep must not turn it into a 503.
    // If it does fail, the schedule's next mutation still expires the hold.
    if (result.events > 0) await this.client.sadd(this.holdsKey, command.scheduleId).catch(() => undefined);
    return result;
  }

  release(command: SeatCommand): Promise<MutationResult> {
    return this.mutate('seatRelease', command, [command.userId]);
  }

  reserveOrder(command: ReserveOrderCommand): Promise<MutationResult> {
    return this.mutate('seatReserveOrder', command, [command.userId, encodeURIComponent(command.orderId)]);
  }

  async releaseAny(command: ReleaseAnyCommand): Promise<ReleaseAnyResult> {
    const { result, rest } = await this.mutateWith('seatReleaseAny', command, []);
    return { ...result, holders: rest.map((holder) => (holder === '' ? undefined : String(holder))) };
  }

  async expireDue(now: number, cooldownMs = 0): Promise<number> {
    const scheduleIds = await this.ctx.run(() => this.client.smembers(this.holdsKey));
    let freed = 0;
    for (const id of scheduleIds) {
      const reply = await this.call('seatExpire', Number(id), now, cooldownMs);
      const [expired, remaining] = reply as [number, number];
      freed += expired;
      this.appended(expired);
      if (remaining === 0) {
        // A hold landing between the script and SREM is caught by the ZCARD that follows;
        // a hold after that adds the schedule back itself.
        await this.ctx.run(() => this.client.srem(this.holdsKey, id));
        const { base } = topicKeys(this.ctx.prefix, scheduleTopic(Number(id)));
        if ((await this.ctx.run(() => this.client.zcard(`${base}:expiry`))) > 0) {
          await this.ctx.run(() => this.client.sadd(this.holdsKey, id));
        }
      }
    }
    return freed;
  }

  async takeHoldNotices(now: number, warnBeforeMs: number): Promise<HoldNotice[]> {
    const scheduleIds = await this.ctx.run(() => this.client.smembers(this.holdsKey));
    const horizon = warnBeforeMs > 0 ? now + warnBeforeMs : 0;
    const notices: HoldNotice[] = [];
    for (const id of scheduleIds) {
      const scheduleId = Number(id);
      const [expired, expiring] = (await this.call('seatNotices', scheduleId, now, 0, horizon)) as [string[], string[]];
      for (const entry of expired) notices.push(toNotice('expired', scheduleId, entry));
      for (const entry of expiring) notices.push(toNotice('expiring', scheduleId, entry));
    }
    return notices;
  }

  async close(): Promise<void> {}

  /** The scripts append their events themselves, past the bus: tell its observer (metrics). */
  private appended(events: number): void {
    if (events > 0) this.bus?.observer?.onAppended(events);
  }

  private async mutate(script: string, command: Mutation, args: (string | number)[]): Promise<MutationResult> {
    return (await this.mutateWith(script, command, args)).result;
  }

  /** A mutation's result, and what its script replied after the seats' fields. */
  private async mutateWith(
    script: string,
    command: Mutation,
    args: (string | number)[],
  ): Promise<{ result: MutationResult; rest: Reply }> {
    const reply = (await this.call(
      script,
      command.scheduleId,
      command.now,
      command.cooldownMs ?? 0,
      ...args,
      ...command.seatIds,
    )) as unknown as Reply;
    if (reply[0] === 'err') throw refusal(reply);
    const [, offset, epoch, events, rows, cols, ...fields] = reply;
    this.appended(Number(events));
    const layout = { rows: Number(rows), seatsPerRow: Number(cols) };
    const eventId: EventId = { offset: Number(offset), epoch: String(epoch) };
    const result = {
      seats: command.seatIds.map((id, i) => toSeat(layout, id, String(fields[i] ?? ''))),
      eventId,
      events: Number(events),
    };
    return { result, rest: fields.slice(command.seatIds.length) };
  }

  /** Runs a seat script: KEYS[1..10] and ARGV[1..10] as seats.lua names them, then the script's own. */
  private call(
    script: string,
    scheduleId: number,
    now: number,
    cooldownMs: number,
    ...args: (string | number)[]
  ): Promise<unknown> {
    return this.callWith(script, scheduleId, now, cooldownMs, args);
  }

  /** `call` with the script's own arguments as an array (an import names up to 100,000 seats). */
  private callWith(
    script: string,
    scheduleId: number,
    now: number,
    cooldownMs: number,
    args: readonly (string | number)[],
    /** A seat map's read goes on the reads' connection (RedisContext.reader). */
    connection: Redis | Cluster = this.client,
  ): Promise<unknown> {
    const topic = scheduleTopic(scheduleId);
    const { meta, stream, channel, base } = topicKeys(this.ctx.prefix, topic);
    const run = (connection as unknown as Record<string, Script>)[script]!;
    // One array, which ioredis flattens: too many arguments to spread into a call.
    return this.ctx.run(() =>
      run.call(connection, [
        meta,
        stream,
        `${base}:seats`,
        `${base}:expiry`,
        `${base}:cooldown`,
        `${base}:held-by-user`,
        `${base}:held-by-address`,
        `${base}:orders`,
        `${base}:unwarned`,
        `${base}:expired`,
        ...this.ctx.epochArgs(),
        channel,
        scheduleId,
        now,
        new Date(now).toISOString(),
        Date.now() + SCRIPT_START_DEADLINE_MS,
        cooldownMs,
        ...args,
      ]),
    );
  }
}

/**
 * A script's refusal `{'err', code, seat ids...}` as the error the caller throws; HOLD_COOLDOWN
 * carries the ms until the earliest seat may be held again before the seat ids.
 */
function refusal(reply: Reply): Error {
  // UNAVAILABLE: the request reached Redis after its caller's deadline; the caller answered 503.
  if (reply[1] === 'UNAVAILABLE')
    return new StorageUnavailableError(new Error('request reached Redis after its deadline'));
  const code = reply[1] as SeatErrorCode;
  if (code === 'HOLD_COOLDOWN')
    return new SeatError(code, reply.slice(3).map(Number), undefined, { retryAfterMs: Number(reply[2]) });
  return new SeatError(code, reply.slice(2).map(Number));
}

/** A notice from seat-notices.lua's `<seat>|<expiresAt>|<holder>` (the holder may contain `|`). */
function toNotice(kind: HoldNotice['kind'], scheduleId: number, entry: string): HoldNotice {
  const [, seatId, expiresAt, holder] = /^(\d+)\|(\d+)\|(.*)$/s.exec(entry)!;
  return { kind, scheduleId, seatId: Number(seatId), holder: holder!, expiresAt: Number(expiresAt) };
}

/**
 * A seat from its field: absent (AVAILABLE), `H|<expiresAt>|<address>|<holder>` (or, written before
 * addresses were kept, `H|<expiresAt>|<holder>`) or `R|<orderId>|<holder>`. The holder comes last
 * and may contain `|`; addresses and order ids are stored percent-encoded and never do.
 */
function toSeat(layout: Layout, id: number, field: string): SeatState {
  const { row, number } = seatPosition(layout, id);
  return seatOf(id, row, number, field);
}

function seatOf(id: number, row: string, number: number, field: string): SeatState {
  if (!field) return { id, row, number, status: 'AVAILABLE' };
  // The second `|` ends the expiry (a hold) or the order id (a reservation).
  const second = field.indexOf('|', 2);
  if (field.startsWith('H|')) {
    const third = field.indexOf('|', second + 1);
    const holder = field.slice((third < 0 ? second : third) + 1);
    return { id, row, number, status: 'HELD', holder, expiresAt: Number(field.slice(2, second)) };
  }
  const holder = field.slice(second + 1);
  // `R||`: imported by the service, no holder.
  if (!holder) return { id, row, number, status: 'RESERVED' };
  return { id, row, number, status: 'RESERVED', holder };
}
