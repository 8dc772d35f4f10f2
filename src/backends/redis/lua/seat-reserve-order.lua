-- seat-reserve-order.lua: the service reserves seats its user holds, for an order; once per order id.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11]  user id
-- ARGV[12]  order id, percent-encoded
-- ARGV[13..]  seat ids
--
-- The same order id with the same set of seats (in any order) succeeds without an event; with
-- another set it is ORDER_CONFLICT. Seats not HELD by the user are NOT_HELD.
local user, order = ARGV[11], ARGV[12]
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(13)
if failed then return failed end
local sorted = {}
for i = 13, #ARGV do sorted[#sorted + 1] = tonumber(ARGV[i]) end
table.sort(sorted)
local set = table.concat(sorted, ',')
local known = redis.call('HGET', orders, order)
if known then
  if known == set then return done(13, 0) end
  return {'err', 'ORDER_CONFLICT'}
end
local notheld, todo = {'err', 'NOT_HELD'}, {}
for i = 13, #ARGV do
  local id = ARGV[i]
  local seat = parse(id)
  if seat.kind == 'H' and seat.holder == user then todo[#todo + 1] = {id, seat}
  else notheld[#notheld + 1] = id end
end
if #notheld > 2 then return notheld end
for _, held in ipairs(todo) do
  local id, seat = held[1], held[2]
  unhold(id, seat)
  redis.call('HSET', seats, id, 'R|' .. order .. '|' .. user)
  emit(id, 'RESERVED')
end
redis.call('HSET', orders, order, set)
return done(13, #todo)
