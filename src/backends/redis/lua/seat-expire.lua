-- seat-expire.lua: expires a schedule's due holds, one AVAILABLE event each.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua (ARGV[10]: the cool-down each expired hold starts)
--
-- Returns {seats expired, seats still held plus expiries not yet told} (the sweep keeps visiting
-- the schedule while either is left); {0, 0}, having written nothing, when it does not exist.
if not layout() then return {0, 0} end
open()
local freed = expire_due()
return {freed, redis.call('ZCARD', expiry) + redis.call('LLEN', expired)}
