import type { Cluster, Redis } from 'ioredis';
import { StorageUnavailableError } from '../../bus/unavailable-error.js';
import type { EventId } from '../../protocol/event-id.js';
import { type Layout, type ScheduleState, type SeatState, seatCount, seatPosition } from '../../seats/seat.js';
import { SeatError, type SeatErrorCode } from '../../seats/seat-error.js';
import { scheduleTopic } from '../../seats/seat-events.js';
import type { HoldCommand, MutationResult, SeatCommand, SeatStore } from '../../seats/seat-store.js';
import { COMMAND_TIMEOUT_MS, type RedisContext, topicKeys } from './redis-context.js';
import { seatScripts } from './scripts.js';

type Reply = Array<string | number>;
type Script = (
  meta: string,
  stream: string,
  seats: string,
  expiry: string,
  ...args: (string | number)[]
) => Promise<unknown>;

/**
 * Seats in Redis, one Lua script per mutation (`lua/seat-*.lua`). Keys of a schedule share the hash tag
 * of its topic, `{schedule:42}`, so the store runs unchanged on Redis Cluster.
 */
export class RedisSeatStore implements SeatStore {
  private readonly client: Redis | Cluster;
  /** Schedules that may have holds, for the sweep; a plain set outside any one slot. */
  private readonly holdsKey: string;

  constructor(private readonly ctx: RedisContext) {
    this.client = ctx.client;
    this.holdsKey = `${ctx.prefix}schedules-with-holds`;
    for (const [name, script] of Object.entries(seatScripts())) this.client.defineCommand(name, script);
  }

  async createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'> {
    const reply = await this.call('seatCreate', scheduleId, Date.now(), layout.rows, layout.seatsPerRow);
    const outcome = reply as 'created' | 'unchanged' | Reply;
    if (typeof outcome !== 'string') throw refusal(outcome);
    return outcome;
  }

  async exists(scheduleId: number): Promise<boolean> {
    const { meta } = topicKeys(this.ctx.prefix, scheduleTopic(scheduleId));
    return (await this.ctx.run(() => this.client.hexists(meta, 'rows'))) === 1;
  }

  async state(scheduleId: number): Promise<ScheduleState> {
    const reply = (await this.call('seatState', scheduleId, Date.now())) as unknown as
      | [string, string, number, string, string[]]
      | [];
    if (reply.length === 0) throw new SeatError('SCHEDULE_NOT_FOUND');
    const [rows, cols, offset, epoch, fields] = reply;
    const layout = { rows: Number(rows), seatsPerRow: Number(cols) };
    const taken = new Map<number, string>();
    for (let i = 0; i < fields.length; i += 2) taken.set(Number(fields[i]), fields[i + 1]!);
    const seats: SeatState[] = [];
    for (let id = 1; id <= seatCount(layout); id++) seats.push(toSeat(layout, id, taken.get(id) ?? ''));
    return { scheduleId, seats, lastEventId: { offset: Number(offset), epoch } };
  }

  async hold(command: HoldCommand): Promise<MutationResult> {
    const result = await this.mutate('seatHold', command, [command.userId, command.ttlMs, command.maxPerUser]);
    // The hold is done; failing to list the schedule for the sweep must not turn it into a 503.
    // If it does fail, the schedule's next mutation still expires the hold.
    if (result.events > 0) await this.client.sadd(this.holdsKey, command.scheduleId).catch(() => undefined);
    return result;
  }

  release(command: SeatCommand): Promise<MutationResult> {
    return this.mutate('seatReleaseOrReserve', command, [command.userId, '0']);
  }

  reserve(command: SeatCommand): Promise<MutationResult> {
    return this.mutate('seatReleaseOrReserve', command, [command.userId, '1']);
  }

  async expireDue(now: number): Promise<number> {
    const scheduleIds = await this.ctx.run(() => this.client.smembers(this.holdsKey));
    let freed = 0;
    for (const id of scheduleIds) {
      const [expired, remaining] = (await this.call('seatExpire', Number(id), now)) as unknown as [number, number];
      freed += expired;
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

  async close(): Promise<void> {}

  private async mutate(script: string, command: SeatCommand, args: (string | number)[]): Promise<MutationResult> {
    const reply = (await this.call(
      script,
      command.scheduleId,
      command.now,
      ...args,
      ...command.seatIds,
    )) as unknown as Reply;
    if (reply[0] === 'err') throw refusal(reply);
    const [, offset, epoch, events, rows, cols, ...fields] = reply;
    const layout = { rows: Number(rows), seatsPerRow: Number(cols) };
    const eventId: EventId = { offset: Number(offset), epoch: String(epoch) };
    return {
      seats: command.seatIds.map((id, i) => toSeat(layout, id, String(fields[i] ?? ''))),
      eventId,
      events: Number(events),
    };
  }

  private call(script: string, scheduleId: number, now: number, ...args: (string | number)[]): Promise<unknown> {
    const topic = scheduleTopic(scheduleId);
    const { meta, stream, channel, base } = topicKeys(this.ctx.prefix, topic);
    const run = (this.client as unknown as Record<string, Script>)[script]!;
    return this.ctx.run(() =>
      run.call(
        this.client,
        meta,
        stream,
        `${base}:seats`,
        `${base}:expiry`,
        ...this.ctx.epochArgs(),
        channel,
        scheduleId,
        now,
        new Date(now).toISOString(),
        Date.now() + COMMAND_TIMEOUT_MS,
        ...args,
      ),
    );
  }
}

/** A script's refusal `{'err', code, seat ids...}` as the error the caller throws. */
function refusal(reply: Reply): Error {
  // UNAVAILABLE: the request reached Redis after its caller's deadline; the caller answered 503.
  if (reply[1] === 'UNAVAILABLE')
    return new StorageUnavailableError(new Error('request reached Redis after its deadline'));
  return new SeatError(reply[1] as SeatErrorCode, reply.slice(2).map(Number));
}

function toSeat(layout: Layout, id: number, field: string): SeatState {
  const position = seatPosition(layout, id);
  if (!field) return { id, ...position, status: 'AVAILABLE' };
  const [kind, expiresAt, holder] = field.split('|') as [string, string, string];
  return kind === 'H'
    ? { id, ...position, status: 'HELD', holder, expiresAt: Number(expiresAt) }
    : { id, ...position, status: 'RESERVED', holder };
}
