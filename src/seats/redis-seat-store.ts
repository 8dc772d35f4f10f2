import type { Cluster, Redis } from 'ioredis';
import type { EventId } from '../bus/event-id.js';
import { COMMAND_TIMEOUT_MS, LUA_TOPIC, topicKeys, type RedisContext } from '../bus/redis-context.js';
import { StorageUnavailableError } from '../bus/unavailable-error.js';
import { seatCount, seatPosition, type Layout, type ScheduleState, type SeatState } from './seat.js';
import { SeatError, type SeatErrorCode } from './seat-error.js';
import { scheduleTopic } from './seat-events.js';
import type { HoldCommand, MutationResult, SeatCommand, SeatStore } from './seat-store.js';

/*
 * Every script: KEYS meta, stream, seats, expiry (one hash tag); ARGV epochArgs (1..4), channel (5),
 * scheduleId (6), now ms (7), now ISO (8), deadline ms by the caller's clock (9), then its own arguments. A seat's field in `seats` is
 * absent (AVAILABLE), `H|<expiresAt>|<holder>` or `R||<holder>`; `expiry` scores held seats by
 * expiry. Each script checks everything before it changes anything, and appends one event per
 * changed seat in the same step — Redis runs a script atomically.
 */
const LUA_SEATS = `${LUA_TOPIC}
local meta, stream, seats, expiry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local channel, schedule, now, iso, deadline = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])
-- A request whose client already gave up (its command timed out on a hung Redis and it got a
-- 503) must not be applied when Redis resumes: Redis' clock against the caller's deadline.
local function too_late()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline
end
local epoch = topic_epoch(meta)
local last = nil
local function emit(id, status)
  last = append_event(meta, stream, channel, epoch,
    '{"scheduleId":' .. schedule .. ',"scheduleSeatId":' .. id .. ',"status":"' .. status ..
    '","timestamp":"' .. iso .. '","isHeartbeat":false}')
end
local function parse(id)
  local v = redis.call('HGET', seats, id)
  if not v then return 'A', nil, nil end
  local kind, exp, holder = string.match(v, '^(%u)|(%d*)|(.*)$')
  return kind, tonumber(exp), holder
end
local function expire_due()
  local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  for _, id in ipairs(due) do
    redis.call('HDEL', seats, id)
    redis.call('ZREM', expiry, id)
    emit(id, 'AVAILABLE')
  end
  return #due
end
-- Finds the schedule and the requested seats (ARGV[first..]); returns an error reply or nil.
local function begin(first)
  local layout = redis.call('HMGET', meta, 'rows', 'cols')
  if not layout[1] then return {'err', 'SCHEDULE_NOT_FOUND'} end
  local total = tonumber(layout[1]) * tonumber(layout[2])
  local missing = {'err', 'SEAT_NOT_FOUND'}
  for i = first, #ARGV do
    local id = tonumber(ARGV[i])
    if id < 1 or id > total then missing[#missing + 1] = ARGV[i] end
  end
  if #missing > 2 then return missing end
  expire_due()
  return nil
end
local function done(first, count)
  local layout = redis.call('HMGET', meta, 'rows', 'cols')
  local out = {'ok', last or tonumber(redis.call('HGET', meta, 'offset') or '0'), epoch, count, layout[1], layout[2]}
  for i = first, #ARGV do out[#out + 1] = redis.call('HGET', seats, ARGV[i]) or '' end
  return out
end
`;

// ARGV 10 user, 11 ttl, 12 maxPerUser, 13.. seat ids
const HOLD = `${LUA_SEATS}
local user, ttl, max = ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12])
if too_late() then return {'err', 'TOO_LATE'} end
local failed = begin(13)
if failed then return failed end
local unavailable, fresh = {'err', 'SEATS_UNAVAILABLE'}, {}
for i = 13, #ARGV do
  local kind, _, holder = parse(ARGV[i])
  if kind == 'A' then fresh[#fresh + 1] = ARGV[i]
  elseif not (kind == 'H' and holder == user) then unavailable[#unavailable + 1] = ARGV[i] end
end
if #unavailable > 2 then return unavailable end
if max > 0 then
  local mine = 0
  for _, id in ipairs(redis.call('ZRANGE', expiry, 0, -1)) do
    local _, _, holder = parse(id)
    if holder == user then mine = mine + 1 end
  end
  if mine + #fresh > max then
    local limit = {'err', 'HOLD_LIMIT'}
    for _, id in ipairs(fresh) do limit[#limit + 1] = id end
    return limit
  end
end
local expires = now + ttl
for _, id in ipairs(fresh) do
  redis.call('HSET', seats, id, 'H|' .. expires .. '|' .. user)
  redis.call('ZADD', expiry, expires, id)
  emit(id, 'HELD')
end
return done(13, #fresh)`;

// ARGV 10 user, 11 reserve? ('1'), 12.. seat ids
const RELEASE_OR_RESERVE = `${LUA_SEATS}
local user, reserving = ARGV[10], ARGV[11] == '1'
if too_late() then return {'err', 'TOO_LATE'} end
local failed = begin(12)
if failed then return failed end
local others, taken, notheld, todo = {'err', 'NOT_YOUR_HOLD'}, {'err', 'SEATS_UNAVAILABLE'}, {'err', 'NOT_HELD'}, {}
for i = 12, #ARGV do
  local id = ARGV[i]
  local kind, _, holder = parse(id)
  if kind == 'H' and holder ~= user then others[#others + 1] = id
  elseif kind == 'H' then todo[#todo + 1] = id
  elseif kind == 'R' and reserving and holder ~= user then taken[#taken + 1] = id
  elseif kind == 'A' or (kind == 'R' and not reserving) then notheld[#notheld + 1] = id end
end
if #others > 2 then return others end
if #taken > 2 then return taken end
if #notheld > 2 then return notheld end
for _, id in ipairs(todo) do
  redis.call('ZREM', expiry, id)
  if reserving then
    redis.call('HSET', seats, id, 'R||' .. user)
    emit(id, 'RESERVED')
  else
    redis.call('HDEL', seats, id)
    emit(id, 'AVAILABLE')
  end
end
return done(12, #todo)`;

// ARGV 10 rows, 11 cols
const CREATE = `${LUA_SEATS}
local layout = redis.call('HMGET', meta, 'rows', 'cols')
if layout[1] then
  if layout[1] == ARGV[10] and layout[2] == ARGV[11] then return 'unchanged' end
  return 'conflict'
end
redis.call('HSET', meta, 'rows', ARGV[10], 'cols', ARGV[11])
return 'created'`;

const STATE = `${LUA_SEATS}
local layout = redis.call('HMGET', meta, 'rows', 'cols')
if not layout[1] then return {} end
return {layout[1], layout[2], tonumber(redis.call('HGET', meta, 'offset') or '0'), epoch, redis.call('HGETALL', seats)}`;

// Returns {expired, still held}.
const EXPIRE = `${LUA_SEATS}
if not redis.call('HGET', meta, 'rows') then return {0, 0} end
return {expire_due(), redis.call('ZCARD', expiry)}`;

type Reply = Array<string | number>;
type Script = (
  meta: string,
  stream: string,
  seats: string,
  expiry: string,
  ...args: (string | number)[]
) => Promise<unknown>;

/**
 * Seats in Redis, one Lua script per mutation (DESIGN §4). Keys of a schedule share the hash tag
 * of its topic, `{schedule:42}`, so the store runs unchanged on Redis Cluster.
 */
export class RedisSeatStore implements SeatStore {
  private readonly client: Redis | Cluster;
  /** Schedules that may have holds, for the sweep; a plain set outside any one slot. */
  private readonly holdsKey: string;

  constructor(private readonly ctx: RedisContext) {
    this.client = ctx.client;
    this.holdsKey = `${ctx.prefix}schedules-with-holds`;
    for (const [name, lua] of Object.entries({
      seatHold: HOLD,
      seatReleaseOrReserve: RELEASE_OR_RESERVE,
      seatCreate: CREATE,
      seatState: STATE,
      seatExpire: EXPIRE,
    })) {
      this.client.defineCommand(name, { numberOfKeys: 4, lua });
    }
  }

  async createSchedule(scheduleId: number, layout: Layout): Promise<'created' | 'unchanged'> {
    const outcome = (await this.call(
      'seatCreate',
      scheduleId,
      Date.now(),
      layout.rows,
      layout.seatsPerRow,
    )) as unknown as string;
    if (outcome === 'conflict') throw new SeatError('LAYOUT_CONFLICT');
    return outcome as 'created' | 'unchanged';
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
    if (reply[0] === 'err' && reply[1] === 'TOO_LATE')
      throw new StorageUnavailableError(new Error('request reached Redis after its deadline'));
    if (reply[0] === 'err') throw new SeatError(reply[1] as SeatErrorCode, reply.slice(2).map(Number));
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

function toSeat(layout: Layout, id: number, field: string): SeatState {
  const position = seatPosition(layout, id);
  if (!field) return { id, ...position, status: 'AVAILABLE' };
  const [kind, expiresAt, holder] = field.split('|') as [string, string, string];
  return kind === 'H'
    ? { id, ...position, status: 'HELD', holder, expiresAt: Number(expiresAt) }
    : { id, ...position, status: 'RESERVED', holder };
}
