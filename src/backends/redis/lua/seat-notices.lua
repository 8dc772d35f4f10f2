-- seat-notices.lua: takes a schedule's hold notices, each once across instances: the holds that
-- expired since the last call (the `expired` outbox), and the holds expiring by the horizon whose
-- holder has not been warned yet.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11]  horizon, epoch ms: warn of holds expiring by then (0: warn of none)
--
-- Returns {expired, expiring}, each a list of `<seat>|<expiresAt>|<holder>`. Writes nothing for a
-- schedule that does not exist (its keys do not either).
local horizon = tonumber(ARGV[11])
local told = redis.call('LRANGE', expired, 0, -1)
if #told > 0 then redis.call('DEL', expired) end
local expiring = {}
if horizon > 0 then
  local due = redis.call('ZRANGEBYSCORE', unwarned, '-inf', horizon)
  for _, id in ipairs(due) do
    redis.call('ZREM', unwarned, id)
    local seat = parse(id)
    if seat.kind == 'H' then expiring[#expiring + 1] = id .. '|' .. seat.expires .. '|' .. seat.holder end
  end
end
return {told, expiring}
