-- seat-release-or-reserve.lua: the holder releases its held seats, or reserves them.
--
-- KEYS[1..4], ARGV[1..9]  as in seats.lua
-- ARGV[10]  user id
-- ARGV[11]  '1': reserve; else release
-- ARGV[12..]  seat ids
--
-- Reserving seats the user reserved already succeeds without an event (a retried reserve).
local user, reserving = ARGV[10], ARGV[11] == '1'
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(12)
if failed then return failed end
local others, taken, notheld, todo = {'err', 'NOT_YOUR_HOLD'}, {'err', 'SEATS_UNAVAILABLE'}, {'err', 'NOT_HELD'}, {}
for i = 12, #ARGV do
  local id = ARGV[i]
  local kind, _, holder = parse(id)
  if kind == 'H' and holder ~= user then others[#others + 1] = id
  elseif kind == 'H' then todo[#todo + 1] = id
  elseif kind == 'R' and reserving and holder ~= user then taken[#taken + 1] = id
  elseif kind == 'A' or (kind == 'R' and not reserving) then notheld[#notheld + 1] = id end
end
if #others > 2 then return others end
if #taken > 2 then return taken end
if #notheld > 2 then return notheld end
for _, id in ipairs(todo) do
  redis.call('ZREM', expiry, id)
  if reserving then
    redis.call('HSET', seats, id, 'R||' .. user)
    emit(id, 'RESERVED')
  else
    redis.call('HDEL', seats, id)
    emit(id, 'AVAILABLE')
  end
end
return done(12, #todo)
