-- seat-hold.lua: holds seats for a user, all or nothing.
--
-- KEYS[1..4], ARGV[1..9]  as in seats.lua
-- ARGV[10]  user id
-- ARGV[11]  hold time to live, ms
-- ARGV[12]  most seats one user may hold in this schedule (0: no limit)
-- ARGV[13..]  seat ids
--
-- Seats the user holds already stay held, unchanged (no event, no extension).
local user, ttl, max = ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12])
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(13)
if failed then return failed end
local unavailable, fresh = {'err', 'SEATS_UNAVAILABLE'}, {}
for i = 13, #ARGV do
  local kind, _, holder = parse(ARGV[i])
  if kind == 'A' then fresh[#fresh + 1] = ARGV[i]
  elseif not (kind == 'H' and holder == user) then unavailable[#unavailable + 1] = ARGV[i] end
end
if #unavailable > 2 then return unavailable end
if max > 0 then
  local mine = 0
  for _, id in ipairs(redis.call('ZRANGE', expiry, 0, -1)) do
    local _, _, holder = parse(id)
    if holder == user then mine = mine + 1 end
  end
  if mine + #fresh > max then
    local limit = {'err', 'HOLD_LIMIT'}
    for _, id in ipairs(fresh) do limit[#limit + 1] = id end
    return limit
  end
end
local expires = now + ttl
for _, id in ipairs(fresh) do
  redis.call('HSET', seats, id, 'H|' .. expires .. '|' .. user)
  redis.call('ZADD', expiry, expires, id)
  emit(id, 'HELD')
end
return done(13, #fresh)
