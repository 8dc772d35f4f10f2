-- bus-head.lua: the id of a topic's newest event.
--
-- KEYS[1]  meta
-- ARGV[1..4]  as in topic.lua
--
-- Returns {offset, epoch}; offset 0 when the topic has no events yet.
local epoch = topic_epoch(KEYS[1])
return {tonumber(redis.call('HGET', KEYS[1], 'offset') or '0'), epoch}
