-- seats.lua: what every seat script shares (scripts.ts puts topic.lua and this in front of it).
--
-- KEYS[1]  meta     KEYS[2]  stream     KEYS[3]  seats     KEYS[4]  expiry
-- ARGV[1..4]  as in topic.lua
-- ARGV[5]  channel
-- ARGV[6]  schedule id
-- ARGV[7]  now, epoch ms: the time holds expire by
-- ARGV[8]  now as an ISO timestamp, for the events
-- ARGV[9]  deadline, epoch ms by the caller's clock: past it the caller has answered 503
-- ARGV[10..]  the script's own arguments
--
-- A seat's field in `seats` is absent (AVAILABLE), `H|<expiresAt>|<holder>` or `R||<holder>`;
-- `expiry` scores held seats by their expiry. Each script checks everything before it changes
-- anything and appends one event per changed seat in the same step: Redis runs a script
-- atomically. Refusals are {'err', <code of protocol/errors.ts>, seat ids...}.
local meta, stream, seats, expiry = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local channel, schedule, now, iso, deadline = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], tonumber(ARGV[9])

-- A request whose caller already gave up (its command timed out on a hung Redis, it answered
-- 503) must not be applied when Redis resumes: Redis's clock against the caller's deadline.
local function too_late()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline
end

local epoch = topic_epoch(meta)
local last = nil

-- The same JSON, byte for byte, as encodeSeatEvent in protocol/seat-events.ts.
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

-- Finds the schedule and the requested seats (ARGV[first..]), then expires due holds. Returns a
-- refusal, or nil.
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

-- {'ok', last event offset (or the head), epoch, events written, rows, cols, seat fields...}
local function done(first, count)
  local layout = redis.call('HMGET', meta, 'rows', 'cols')
  local out = {'ok', last or tonumber(redis.call('HGET', meta, 'offset') or '0'), epoch, count, layout[1], layout[2]}
  for i = first, #ARGV do out[#out + 1] = redis.call('HGET', seats, ARGV[i]) or '' end
  return out
end
