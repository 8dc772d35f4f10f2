-- seat-expire.lua: expires a schedule's due holds, one AVAILABLE event each.
--
-- KEYS[1..4], ARGV[1..9]  as in seats.lua
--
-- Returns {seats expired, seats still held}.
if not redis.call('HGET', meta, 'rows') then return {0, 0} end
return {expire_due(), redis.call('ZCARD', expiry)}
