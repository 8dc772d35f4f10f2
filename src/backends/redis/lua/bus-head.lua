-- bus-head.lua: the id of a topic's newest event.
--
-- KEYS[1]  meta
-- ARGV[1..4]  as in topic.lua
--
-- Returns {offset, epoch}; offset 0 when the topic has no events yet. A topic that was never
-- written (no meta hash) answers {0, ARGV[3]} and stays unwritten: reading creates no key.
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, ARGV[3]} end
local epoch = topic_epoch(KEYS[1])
return {tonumber(redis.call('HGET', KEYS[1], 'offset') or '0'), epoch}
