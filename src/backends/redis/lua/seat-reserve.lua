-- seat-reserve.lua: the holder reserves its held seats (the buyer's reserve, without an order).
--
-- KEYS[1..8], ARGV[1..10]  as in seats.lua
-- ARGV[11]  user id
-- ARGV[12..]  seat ids
--
-- Reserving seats the user reserved already succeeds without an event (a retried reserve).
local user = ARGV[11]
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(12)
if failed then return failed end
local others, taken, notheld, todo = {'err', 'NOT_YOUR_HOLD'}, {'err', 'SEATS_UNAVAILABLE'}, {'err', 'NOT_HELD'}, {}
for i = 12, #ARGV do
  local id = ARGV[i]
  local seat = parse(id)
  if seat.kind == 'H' and seat.holder ~= user then others[#others + 1] = id
  elseif seat.kind == 'H' then todo[#todo + 1] = {id, seat}
  elseif seat.kind == 'R' and seat.holder ~= user then taken[#taken + 1] = id
  elseif seat.kind == 'A' then notheld[#notheld + 1] = id end
end
if #others > 2 then return others end
if #taken > 2 then return taken end
if #notheld > 2 then return notheld end
for _, held in ipairs(todo) do
  local id, seat = held[1], held[2]
  unhold(id, seat)
  redis.call('HSET', seats, id, 'R||' .. user)
  emit(id, 'RESERVED')
end
return done(12, #todo)
