-- seat-create.lua: creates a schedule with all seats available; idempotent for the same layout.
--
-- KEYS[1..4], ARGV[1..9]  as in seats.lua
-- ARGV[10]  rows
-- ARGV[11]  seats per row
--
-- Returns 'created' or 'unchanged', or a LAYOUT_CONFLICT refusal for another layout.
local layout = redis.call('HMGET', meta, 'rows', 'cols')
if layout[1] then
  if layout[1] == ARGV[10] and layout[2] == ARGV[11] then return 'unchanged' end
  return {'err', 'LAYOUT_CONFLICT'}
end
redis.call('HSET', meta, 'rows', ARGV[10], 'cols', ARGV[11])
return 'created'
