-- seat-release.lua: the holder releases its held seats, and may not hold them again for the cool-down.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua (ARGV[10] is also the cool-down this release starts)
-- ARGV[11]  user id
-- ARGV[12..]  seat ids
local user = ARGV[11]
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(12)
if failed then return failed end
local others, notheld, todo = {'err', 'NOT_YOUR_HOLD'}, {'err', 'NOT_HELD'}, {}
for i = 12, #ARGV do
  local id = ARGV[i]
  local seat = parse(id)
  if seat.kind == 'H' and seat.holder ~= user then others[#others + 1] = id
  elseif seat.kind == 'H' then todo[#todo + 1] = {id, seat}
  else notheld[#notheld + 1] = id end
end
if #others > 2 then return others end
if #notheld > 2 then return notheld end
for _, held in ipairs(todo) do
  local id, seat = held[1], held[2]
  unhold(id, seat)
  if cooldown_ms > 0 then cool_down(id, user, now + cooldown_ms) end
  redis.call('HDEL', seats, id)
  emit(id, 'AVAILABLE')
end
return done(12, #todo)
