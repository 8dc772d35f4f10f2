-- seats.lua: what every seat script shares (scripts.ts puts topic.lua and this in front of it).
--
-- KEYS[1]  meta       KEYS[2]  stream          KEYS[3]  seats            KEYS[4]  expiry
-- KEYS[5]  cooldown   KEYS[6]  held-by-user    KEYS[7]  held-by-address  KEYS[8]  orders
-- KEYS[9]  unwarned   KEYS[10] expired
-- ARGV[1..4]  as in topic.lua
-- ARGV[5]  channel
-- ARGV[6]  schedule id
-- ARGV[7]  now, epoch ms: the time holds expire by
-- ARGV[8]  now as an ISO timestamp, for the events
-- ARGV[9]  deadline, epoch ms by the caller's clock: the latest a mutation may start (see
--          SCRIPT_START_DEADLINE_MS in redis-context.ts); the caller waits longer for the answer
-- ARGV[10]  cool-down, ms, of the holds this script expires (0: none)
-- ARGV[11..]  the script's own arguments
--
-- All keys of a schedule share its hash tag. Addresses and order ids arrive percent-encoded, so
-- they never contain '|'; a holder may, so it comes last in a field:
-- - seats: a field per seat that is not available: `H|<expiresAt>|<address>|<holder>` (address
--   '' when none) or `R|<orderId>|<holder>` (`R||`, no order and no holder, for a seat the
--   service imported as reserved).
-- - expiry: the held seats, scored by their expiry.
-- - cooldown: `<seat>|<holder>`, scored by the epoch ms until which that user may not hold that
--   seat again; members that have passed are trimmed by every script that expires holds.
-- - held-by-user, held-by-address: how many seats each user / address holds (HELD, not
--   reserved), kept by the step that holds, releases, reserves or expires; a 0 is removed.
-- - orders: order id -> its seat ids, sorted, joined by commas.
-- - unwarned: the held seats whose holder has not been told the hold is about to expire, scored
--   by their expiry; seat-notices.lua takes them once.
-- - expired: `<seat>|<expiresAt>|<holder>` of every hold that expired, oldest first, for its
--   holder's `hold-expired` notice (an outbox written in the same step as the expiry, so no expiry
--   goes untold when an instance dies); seat-notices.lua drains it. Bounded: the oldest go first.
-- Each script checks everything before it changes anything and appends one event per changed seat
-- in the same step: Redis runs a script atomically. Nothing is written before the schedule is
-- known to exist. Refusals are {'err', <code of protocol/errors.ts>, seat ids...}; HOLD_COOLDOWN is
-- {'err', 'HOLD_COOLDOWN', ms until the earliest may be held again, seat ids...}.
local meta, stream, seats, expiry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local cooldown, byuser, byaddress, orders = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local unwarned, expired = KEYS[9], KEYS[10]
local channel, schedule, now, iso, deadline = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])
local cooldown_ms = tonumber(ARGV[10])

-- A request whose caller may have given up (its command timed out on a hung or busy Redis, it
-- answered 503) must not be applied when Redis gets to it: Redis's clock against the deadline,
-- which comes early enough that a script starting before it answers before the caller gives up.
local function too_late()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline
end

-- The schedule's {rows, cols}, or nil when it does not exist. Reads only.
local function layout()
  local found = redis.call('HMGET', meta, 'rows', 'cols')
  if found[1] then return found end
  return nil
end

-- Set by open(), once the schedule is known to exist (topic_epoch writes the meta hash).
local epoch = nil
local last = nil

local function open()
  epoch = topic_epoch(meta)
end

-- The same JSON, byte for byte, as encodeSeatEvent in protocol/seat-events.ts.
local function emit(id, status)
  last = append_event(meta, stream, channel, epoch,
    '{"scheduleId":' .. schedule .. ',"scheduleSeatId":' .. id .. ',"status":"' .. status ..
    '","timestamp":"' .. iso .. '","isHeartbeat":false}')
end

-- A seat: {kind = 'A'}, {kind = 'H', expires, address, holder} or {kind = 'R', order, holder}.
local function parse(id)
  local v = redis.call('HGET', seats, id)
  if not v then return {kind = 'A'} end
  if string.sub(v, 1, 2) == 'H|' then
    local expires, address, holder = string.match(v, '^H|(%d+)|([^|]*)|(.*)$')
    if not expires then
      -- A hold written before addresses were kept: `H|<expiresAt>|<holder>`.
      expires, holder = string.match(v, '^H|(%d+)|(.*)$')
      address = ''
    end
    return {kind = 'H', expires = tonumber(expires), address = address, holder = holder}
  end
  local order, holder = string.match(v, '^R|([^|]*)|(.*)$')
  return {kind = 'R', order = order, holder = holder}
end

-- Appends ids to a refusal.
local function naming(refusal, ids)
  for _, id in ipairs(ids) do refusal[#refusal + 1] = id end
  return refusal
end

local function held_by(key, field)
  return tonumber(redis.call('HGET', key, field) or '0')
end

local function count(key, field, delta)
  if redis.call('HINCRBY', key, field, delta) <= 0 then redis.call('HDEL', key, field) end
end

-- Most expiries the outbox keeps for seat-notices.lua; a sweep drains it within a second or so.
local MAX_EXPIRED = 10000

-- A HELD seat stops counting as held: out of the expiry set, its user's and address's counts.
local function unhold(id, seat)
  redis.call('ZREM', expiry, id)
  redis.call('ZREM', unwarned, id)
  count(byuser, seat.holder, -1)
  if seat.address ~= '' then count(byaddress, seat.address, -1) end
end

-- The user may not hold the seat again before `ends` (nothing to remember once it has passed).
local function cool_down(id, user, ends)
  if ends > now then redis.call('ZADD', cooldown, ends, id .. '|' .. user) end
end

-- Expires the due holds, each starting its holder's cool-down from its expiry; trims the
-- cool-downs that have passed. Returns how many seats it freed.
local function expire_due()
  redis.call('ZREMRANGEBYSCORE', cooldown, '-inf', now)
  local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  for _, id in ipairs(due) do
    local seat = parse(id)
    unhold(id, seat)
    if cooldown_ms > 0 then cool_down(id, seat.holder, seat.expires + cooldown_ms) end
    redis.call('HDEL', seats, id)
    redis.call('RPUSH', expired, id .. '|' .. seat.expires .. '|' .. seat.holder)
    emit(id, 'AVAILABLE')
  end
  if #due > 0 then redis.call('LTRIM', expired, -MAX_EXPIRED, -1) end
  return #due
end

-- Finds the schedule and the requested seats (ARGV[first..]), then expires due holds. Returns a
-- refusal, having written nothing, or nil.
-- A SEAT_NOT_FOUND refusal naming the seat ids (ARGV[first..]) outside 1..rows×cols, or nil.
local function unknown_seats(first, rows, cols)
  local total = tonumber(rows) * tonumber(cols)
  local missing = {'err', 'SEAT_NOT_FOUND'}
  for i = first, #ARGV do
    local id = tonumber(ARGV[i])
    if id < 1 or id > total then missing[#missing + 1] = ARGV[i] end
  end
  if #missing > 2 then return missing end
  return nil
end

local function begin(first)
  local found = layout()
  if not found then return {'err', 'SCHEDULE_NOT_FOUND'} end
  local missing = unknown_seats(first, found[1], found[2])
  if missing then return missing end
  open()
  expire_due()
  return nil
end

-- {'ok', last event offset (or the head), epoch, events written, rows, cols, seat fields...}
local function done(first, written)
  local found = layout()
  local out = {'ok', last or tonumber(redis.call('HGET', meta, 'offset') or '0'), epoch, written, found[1], found[2]}
  for i = first, #ARGV do out[#out + 1] = redis.call('HGET', seats, ARGV[i]) or '' end
  return out
end
