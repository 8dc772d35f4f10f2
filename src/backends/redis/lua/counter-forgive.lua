-- counter-forgive.lua: takes one hit back, within the current window only.
--
-- KEYS[1]  the counter
--
-- Returns the count after it (0 when there is no window).
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 0 then return 0 end
return redis.call('DECR', KEYS[1])
