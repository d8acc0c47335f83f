"""Lua scripts: each state change of a comment is one atomic script, so a crash between two
writes cannot leave a comment half-stored, queued twice or decided without an audit entry."""

# KEYS: comment hash, ingest stream. ARGV: comment json, received_at ms, ref, max backlog.
# Returns 1 when stored, 0 when the (site, id) was already received, -1 when the backlog is at
# its ceiling (in both latter cases nothing is written).
ACCEPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], 'comment', ARGV[1], 'state', 'received', 'received_at', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'ref', ARGV[3])
return 1
"""

# KEYS: comment hash, queue zset (or '' for approve), feed stream, outbox zset, ingest stream.
# ARGV: message id, group, record json, action, priority, queue score, now ms, feed json,
#       deliver ('1' when a callback URL is configured), ref.
# Stores the scored comment, queues it, appends the feed event, then acknowledges and deletes
# the ingest entry. A redelivered message whose comment is already scored is only acknowledged.
STORE_SCORED = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'received' then
  local queued = ARGV[4] ~= 'approve'
  redis.call('HSET', KEYS[1], 'record', ARGV[3], 'action', ARGV[4], 'priority', ARGV[5],
             'scored_at', ARGV[7], 'state', queued and 'queued' or 'approved')
  if queued then
    redis.call('HSET', KEYS[1], 'queue', ARGV[4], 'queue_score', ARGV[6])
    redis.call('ZADD', KEYS[2], ARGV[6], ARGV[10])
  end
  local fid = redis.call('XADD', KEYS[3], '*', 'data', ARGV[8])
  if ARGV[9] == '1' then redis.call('ZADD', KEYS[4], ARGV[7], fid) end
end
redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[5], ARGV[1])
return state or ''
"""

# KEYS: comment hash, ingest stream, dead-letter stream.
# ARGV: message id, group, error text, max attempts, now ms, ref, force ('1': dead-letter now).
# Counts a failed attempt; at max attempts (or when forced) moves the message to the dead-letter
# stream with its error and acknowledges it. Returns the attempt count, negative once dead-lettered.
FAIL = """
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'last_error', ARGV[3])
if n >= tonumber(ARGV[4]) or ARGV[7] == '1' then
  redis.call('XADD', KEYS[3], '*', 'ref', ARGV[6], 'error', ARGV[3], 'attempts', n, 'at', ARGV[5])
  redis.call('HSET', KEYS[1], 'state', 'failed')
  redis.call('XACK', KEYS[2], ARGV[2], ARGV[1])
  redis.call('XDEL', KEYS[2], ARGV[1])
  return -n
end
return n
"""

# KEYS: comment hash, hold, review, escalated zsets, feed stream, outbox zset.
# ARGV: decision, decision json, now ms, feed json, deliver flag, escalated queue score, ref.
# Returns {feed id, new version} or an error reply naming the state that forbids the decision.
DECIDE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return redis.error_reply('NOTFOUND') end
if state ~= 'queued' and state ~= 'escalated' then
  return redis.error_reply('STATE ' .. state)
end
redis.call('ZREM', KEYS[2], ARGV[7])
redis.call('ZREM', KEYS[3], ARGV[7])
redis.call('ZREM', KEYS[4], ARGV[7])
if ARGV[1] == 'escalate' then
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[7])
  redis.call('HSET', KEYS[1], 'state', 'escalated', 'queue', 'escalated')
else
  redis.call('HSET', KEYS[1], 'state', ARGV[1] == 'approve' and 'approved' or 'rejected')
  redis.call('HDEL', KEYS[1], 'queue')
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'decision', ARGV[2], 'decided_at', ARGV[3])
local fid = redis.call('XADD', KEYS[5], '*', 'data', ARGV[4])
if ARGV[5] == '1' then redis.call('ZADD', KEYS[6], ARGV[3], fid) end
return {fid, version}
"""

# KEYS: outbox zset. ARGV: now ms, lease ms, max items.
# Claims due deliveries by pushing their due time a lease into the future, so concurrent
# deliverers never send the same entry at once; a crashed deliverer's claim simply expires.
CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, fid in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), fid)
end
return due
"""
