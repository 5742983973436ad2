local id = redis.call('INCR', KEYS[1])
local jobKey = KEYS[2] .. id
redis.call('HSET', jobKey, 'name', ARGV[1], 'data', ARGV[2], 'timestamp', ARGV[3], 'attemptsMade', 0)
redis.call('LPUSH', KEYS[3], id)
redis.call('XADD', KEYS[5], 'MAXLEN', '~', 1000, '*', 'event', 'waiting', 'jobId', id)
local jid = redis.call('RPOPLPUSH', KEYS[3], KEYS[4])
if jid then
  redis.call('SET', KEYS[2] .. jid .. ':lock', ARGV[4], 'PX', 30000)
  redis.call('HSET', KEYS[2] .. jid, 'processedOn', ARGV[3])
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', 1000, '*', 'event', 'active', 'jobId', jid)
  redis.call('LREM', KEYS[4], 1, jid)
end
return jid
