-- seat-state.lua: a schedule's seats with the id of the last event they reflect.
--
-- KEYS[1..4], ARGV[1..9]  as in seats.lua
--
-- Returns {} when the schedule does not exist, else {rows, cols, offset, epoch, {seat, field, ...}}
-- (only seats that are not available have a field).
local layout = redis.call('HMGET', meta, 'rows', 'cols')
if not layout[1] then return {} end
local offset = tonumber(redis.call('HGET', meta, 'offset') or '0')
return {layout[1], layout[2], offset, epoch, redis.call('HGETALL', seats)}
