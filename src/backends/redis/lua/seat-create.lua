-- seat-create.lua: creates a schedule with all seats available; idempotent for the same layout.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11]  rows
-- ARGV[12]  seats per row
--
-- Returns 'created' or 'unchanged', or a LAYOUT_CONFLICT refusal for another layout. With the
-- appends, the only script that creates a schedule's keys.
local found = layout()
if found then
  if found[1] == ARGV[11] and found[2] == ARGV[12] then return 'unchanged' end
  return {'err', 'LAYOUT_CONFLICT'}
end
open()
redis.call('HSET', meta, 'rows', ARGV[11], 'cols', ARGV[12])
return 'created'
