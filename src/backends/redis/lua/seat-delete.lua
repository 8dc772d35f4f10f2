-- seat-delete.lua: deletes a schedule, every key of its hash tag, and tells every instance.
--
-- KEYS[1..10], ARGV[1..10]  as in seats.lua
-- ARGV[11]  the deletion's data (DELETED_EVENT of protocol/sse-frames.ts)
--
-- Publishes `0 <epoch> <ARGV[11]>` on the schedule's channel: offset 0 is no event of the Stream,
-- so no instance reads it back or takes its absence for a gap. Returns 'deleted', or a
-- SCHEDULE_NOT_FOUND refusal, having written nothing. A schedule created again under the id
-- starts a new epoch (its meta hash is new), so no id of the deleted one resumes on it.
if too_late() then return {'err', 'UNAVAILABLE'} end
if not layout() then return {'err', 'SCHEDULE_NOT_FOUND'} end
open()
redis.call('DEL', meta, stream, seats, expiry, cooldown, byuser, byaddress, orders, unwarned, expired)
redis.call(ARGV[1], channel, '0 ' .. epoch .. ' ' .. ARGV[11])
return 'deleted'
