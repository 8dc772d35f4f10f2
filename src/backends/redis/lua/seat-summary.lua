-- seat-summary.lua: a schedule's layout, seat counts and last event id, for the list of schedules.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
--
-- Read from what the mutations keep, never seat by seat: the seats hash holds a field per seat
-- that is not available, the expiry set one member per held seat. Returns {}, having written
-- nothing, when the schedule does not exist, else {rows, cols, seats not available, seats held,
-- offset, epoch}.
local found = layout()
if not found then return {} end
open()
local offset = tonumber(redis.call('HGET', meta, 'offset') or '0')
return {found[1], found[2], redis.call('HLEN', seats), redis.call('ZCARD', expiry), offset, epoch}
