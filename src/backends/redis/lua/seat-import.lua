-- seat-import.lua: the service creates a schedule, or restores it from its own records: the named
-- seats become RESERVED, a HELD one included (the operator's records are the truth).
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11]  rows
-- ARGV[12]  seats per row
-- ARGV[13..]  seat ids to reserve (a repeat is skipped)
--
-- A seat not yet RESERVED becomes `R||` (no order, no holder) with one RESERVED event, in the order
-- named; a held one leaves the expiry set and its user's and address's counts (no cool-down). A
-- seat already RESERVED stays as it is. Returns {'ok', last event offset (or the head), epoch,
-- events written, rows, cols, outcome ('created', 'updated' or 'unchanged'), seat ids reserved...},
-- or a LAYOUT_CONFLICT or SEAT_NOT_FOUND refusal, having written nothing.
if too_late() then return {'err', 'UNAVAILABLE'} end
local rows, cols = ARGV[11], ARGV[12]
local found = layout()
local outcome = 'created'
if found then
  if found[1] ~= rows or found[2] ~= cols then return {'err', 'LAYOUT_CONFLICT'} end
  local failed = begin(13)
  if failed then return failed end
  outcome = 'unchanged'
else
  local missing = unknown_seats(13, rows, cols)
  if missing then return missing end
  open()
  redis.call('HSET', meta, 'rows', rows, 'cols', cols)
end
local reserved = {}
for i = 13, #ARGV do
  local id = ARGV[i]
  local seat = parse(id)
  if seat.kind ~= 'R' then
    if seat.kind == 'H' then unhold(id, seat) end
    redis.call('HSET', seats, id, 'R||')
    emit(id, 'RESERVED')
    reserved[#reserved + 1] = id
  end
end
if outcome == 'unchanged' and #reserved > 0 then outcome = 'updated' end
local out = {'ok', last or tonumber(redis.call('HGET', meta, 'offset') or '0'), epoch, #reserved, rows, cols, outcome}
for _, id in ipairs(reserved) do out[#out + 1] = id end
return out
