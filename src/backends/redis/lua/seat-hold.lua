-- seat-hold.lua: holds seats for a user, all or nothing, within the user's and the address's limits.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11]  user id
-- ARGV[12]  the hold's expiry, epoch ms: now + TTL, or the credential's expiry when that is sooner
-- ARGV[13]  most seats one user may hold in this schedule (0: no limit)
-- ARGV[14]  the client address, percent-encoded ('' when none)
-- ARGV[15]  most seats one address may hold in this schedule, across its users (0: no limit)
-- ARGV[16..]  seat ids
--
-- Seats the user holds already stay held, unchanged (no event, no extension). The limits read the
-- counts in held-by-user and held-by-address: the cost grows with the seats named, not those held.
local user, expires, max_user = ARGV[11], ARGV[12], tonumber(ARGV[13])
local address, max_address = ARGV[14], tonumber(ARGV[15])
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(16)
if failed then return failed end
local unavailable, fresh = {'err', 'SEATS_UNAVAILABLE'}, {}
for i = 16, #ARGV do
  local seat = parse(ARGV[i])
  if seat.kind == 'A' then fresh[#fresh + 1] = ARGV[i]
  elseif not (seat.kind == 'H' and seat.holder == user) then unavailable[#unavailable + 1] = ARGV[i] end
end
if #unavailable > 2 then return unavailable end
local cooling, soonest = {'err', 'HOLD_COOLDOWN', 0}, nil
for _, id in ipairs(fresh) do
  local ends = tonumber(redis.call('ZSCORE', cooldown, id .. '|' .. user))
  if ends and ends > now then
    cooling[#cooling + 1] = id
    if not soonest or ends < soonest then soonest = ends end
  end
end
if soonest then
  cooling[3] = soonest - now
  return cooling
end
if max_user > 0 and held_by(byuser, user) + #fresh > max_user then return naming({'err', 'HOLD_LIMIT'}, fresh) end
if address ~= '' and max_address > 0 and held_by(byaddress, address) + #fresh > max_address then
  return naming({'err', 'ADDRESS_HOLD_LIMIT'}, fresh)
end
for _, id in ipairs(fresh) do
  redis.call('HSET', seats, id, 'H|' .. expires .. '|' .. address .. '|' .. user)
  redis.call('ZADD', expiry, expires, id)
  redis.call('ZADD', unwarned, expires, id)
  emit(id, 'HELD')
end
if #fresh > 0 then
  count(byuser, user, #fresh)
  if address ~= '' then count(byaddress, address, #fresh) end
end
return done(16, #fresh)
