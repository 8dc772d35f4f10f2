-- seat-expire.lua: expires a schedule's due holds, one AVAILABLE event each.
--
-- KEYS[1..8], ARGV[1..10]  as in seats.lua (ARGV[10]: the cool-down each expired hold starts)
--
-- Returns {seats expired, seats still held}; {0, 0}, having written nothing, when the schedule
-- does not exist.
if not layout() then return {0, 0} end
open()
return {expire_due(), redis.call('ZCARD', expiry)}
