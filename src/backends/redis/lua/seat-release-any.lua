-- seat-release-any.lua: the service frees seats held or reserved by anyone (a cancelled payment, a
-- refund); no cool-down. Releasing a reserved seat forgets its order.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11..]  seat ids
--
-- An available seat is NOT_HELD. Replies as done() does, then each seat's holder before the
-- release ('' for a seat imported as reserved), so the holders can be told.
if too_late() then return {'err', 'UNAVAILABLE'} end
local failed = begin(11)
if failed then return failed end
local notheld, todo = {'err', 'NOT_HELD'}, {}
for i = 11, #ARGV do
  local id = ARGV[i]
  local seat = parse(id)
  if seat.kind == 'A' then notheld[#notheld + 1] = id
  else todo[#todo + 1] = {id, seat} end
end
if #notheld > 2 then return notheld end
for _, taken in ipairs(todo) do
  local id, seat = taken[1], taken[2]
  if seat.kind == 'H' then unhold(id, seat)
  elseif seat.order ~= '' then
    -- Only if the order id still names this seat: a forgotten id may have been used again since.
    local set = redis.call('HGET', orders, seat.order)
    if set and string.find(',' .. set .. ',', ',' .. id .. ',', 1, true) then redis.call('HDEL', orders, seat.order) end
  end
  redis.call('HDEL', seats, id)
  emit(id, 'AVAILABLE')
end
local out = done(11, #todo)
for _, taken in ipairs(todo) do out[#out + 1] = taken[2].holder end
return out
