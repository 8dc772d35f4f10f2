-- topic.lua: how events get their ids, shared by every script that appends events (scripts.ts
-- puts it in front of them), so the bus and the seat store mint ids the same way.
--
-- ARGV[1]  publish command: PUBLISH, or SPUBLISH (sharded pub/sub) on a Redis Cluster
-- ARGV[2]  '1' when every write is durable (AOF with appendfsync always on every master)
-- ARGV[3]  a fresh epoch, used when the topic needs a new one
-- ARGV[4]  replay limit: the Stream keeps about this many events (XADD MAXLEN ~)
--
-- A topic's meta hash holds: offset (the counter), epoch, run (the run_id of the Redis that
-- minted the epoch), since (the offset the epoch started after).

-- The topic's epoch. A Redis restarted from an AOF that was not fsynced on every write can come
-- back with offsets rolled back, and ids minted again would name other events: so a new run_id
-- starts a new epoch, unless every write was durable.
local function topic_epoch(meta)
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
  local fields = redis.call('HMGET', meta, 'epoch', 'run', 'offset')
  local epoch = fields[1]
  if not epoch then
    epoch = ARGV[3]
    redis.call('HSET', meta, 'epoch', epoch, 'run', run, 'since', fields[3] or 0)
  elseif fields[2] ~= run then
    if ARGV[2] ~= '1' then
      epoch = ARGV[3]
      redis.call('HSET', meta, 'epoch', epoch, 'since', fields[3] or 0)
    end
    redis.call('HSET', meta, 'run', run)
  end
  return epoch
end

-- Appends one event: the next offset, the Stream entry `<offset>-0` (fields d: the data, t: when,
-- in ms on Redis's clock), and the live message `<offset>:<t> <epoch> <data>` on the channel. The
-- time rides on the offset so that an instance of a version before it reads no number there and
-- drops the message: it then reads the event back from the Stream within a second (its head
-- check), rather than pass `<t> <data>` on as the data. Returns the offset and the time.
local function append_event(meta, stream, channel, epoch, data)
  local offset = redis.call('HINCRBY', meta, 'offset', 1)
  local time = redis.call('TIME')
  local at = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  redis.call('XADD', stream, 'MAXLEN', '~', ARGV[4], offset .. '-0', 'd', data, 't', at)
  redis.call(ARGV[1], channel, offset .. ':' .. at .. ' ' .. epoch .. ' ' .. data)
  return offset, at
end
