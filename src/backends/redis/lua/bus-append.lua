-- bus-append.lua: appends one event to a topic.
--
-- KEYS[1]  meta     KEYS[2]  stream
-- ARGV[1..4]  as in topic.lua
-- ARGV[5]  channel
-- ARGV[6]  event data (JSON)
--
-- Returns {offset, epoch, appended at (ms, Redis's clock)}.
local epoch = topic_epoch(KEYS[1])
local offset, at = append_event(KEYS[1], KEYS[2], ARGV[5], epoch, ARGV[6])
return {offset, epoch, at}
