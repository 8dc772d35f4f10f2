-- counter-increment.lua: one more hit in a fixed window that starts with the first hit.
--
-- KEYS[1]  the counter
-- ARGV[1]  window length, ms
--
-- Returns {count, ms until the window ends}.
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  -- A counter left without an expiry (a crash between INCR and PEXPIRE): start its window now.
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
