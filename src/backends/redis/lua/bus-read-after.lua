-- bus-read-after.lua: the events of a topic after an id, from its Stream.
--
-- KEYS[1]  meta     KEYS[2]  stream
-- ARGV[1..4]  as in topic.lua
-- ARGV[5]  after: offset
-- ARGV[6]  after: epoch
--
-- Returns {} when the id cannot be resumed from (another epoch, before the epoch began, ahead of
-- the head, or trimmed from the Stream, or a topic never written: no meta hash, and none is
-- created), else {epoch, offset, data, t, offset, data, t, ...} (t: the append time in ms on Redis's
-- clock, 0 for an entry written before events carried it).
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local epoch = topic_epoch(KEYS[1])
if epoch ~= ARGV[6] then return {} end
local head = tonumber(redis.call('HGET', KEYS[1], 'offset') or '0')
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '0')
local after = tonumber(ARGV[5])
if after > head or after < since then return {} end
local out = {epoch}
if after == head then return out end
local entries = redis.call('XRANGE', KEYS[2], (after + 1) .. '-0', '+')
if #entries == 0 or entries[1][1] ~= (after + 1) .. '-0' then return {} end
for _, entry in ipairs(entries) do
  out[#out + 1] = string.match(entry[1], '^(%d+)')
  out[#out + 1] = entry[2][2]
  out[#out + 1] = entry[2][4] or '0'
end
return out
