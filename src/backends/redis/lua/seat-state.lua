-- seat-state.lua: a schedule's seats with the id of the last event they reflect.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
--
-- Returns {}, having written nothing, when the schedule does not exist, else
-- {rows, cols, offset, epoch, {seat, field, ...}} (only seats that are not available have a field).
local found = layout()
if not found then return {} end
open()
local offset = tonumber(redis.call('HGET', meta, 'offset') or '0')
return {found[1], found[2], offset, epoch, redis.call('HGETALL', seats)}
