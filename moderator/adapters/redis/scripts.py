"""Lua scripts: each state change of a comment is one atomic script, so a crash between two
writes cannot leave a comment half-stored, queued twice, indexed in the wrong queue or decided
without an audit entry and its callback."""

# Appends a feed id to its comment's callback chain; only a chain's head is due in the outbox,
# so one comment's events are delivered one at a time, in order (adapters/redis/outbox.py).
# It also files the feed id under its comment's ref (`refs`: keys.OUTBOX_REFS, declared in the
# caller's KEYS like every key a script touches), so an event that vanished from the feed can
# still advance its chain.
_ENQUEUE = """
local function enqueue(outbox, chain, refs, fid, now)
  redis.call('RPUSH', chain, fid)
  local at = string.find(chain, ':outbox:chain:', 1, true)  -- any partition's prefix
  redis.call('HSET', refs, fid, string.sub(chain, at + 14))
  if redis.call('LLEN', chain) == 1 then redis.call('ZADD', outbox, now, fid) end
end
"""

# Claims (adapters/redis/claims.py): one hash (keys.claims) of ref -> "<expiry ms>:<reviewer>",
# the expiry on the Redis server's clock. An entry past its expiry is no claim; decisions,
# releases, requeues and the archiver delete entries, and a new claim overwrites an expired one.
_CLAIMS = """
local function server_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function holder(claims, ref)
  local v = redis.call('HGET', claims, ref)
  if not v then return nil, 0 end
  local sep = string.find(v, ':', 1, true)
  local left = tonumber(string.sub(v, 1, sep - 1)) - server_ms()
  if left <= 0 then return nil, 0 end
  return string.sub(v, sep + 1), left
end
local function hold(claims, ref, who, lease)
  local expiry = string.format('%.0f', server_ms() + tonumber(lease))
  redis.call('HSET', claims, ref, expiry .. ':' .. who)
end
"""

# KEYS: comment hash, ingest stream.
# ARGV: comment json, received_at ms, ref, max backlog, text digest (optional).
# Returns 1 when stored (revision 1), 0 when the (site, id) was already received (a redelivery
# or a new revision: adapters/redis/ingest.py reads it and runs REVISE), -1 when the backlog is
# at its ceiling (in both latter cases nothing is written).
ACCEPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], 'comment', ARGV[1], 'state', 'received', 'received_at', ARGV[2],
           'revision', 1)
if ARGV[5] then redis.call('HSET', KEYS[1], 'digest', ARGV[5]) end
redis.call('XADD', KEYS[2], '*', 'ref', ARGV[3], 'rev', 1)
return 1
"""

# Shared by REVISE and RESCORE. KEYS: 1 comment hash, 2 ingest stream, 3 claims hash, 4 recently
# decided zset, 5 (the script's own), 6 author counts, 7 author history, 8.. every index key the
# comment can be in. Takes a comment out of whatever queue, claim, count and decision it has and
# makes it `received` again, without its record (kept, when it matters, by the caller's snapshot).
_BACK_TO_SCORING = """
local function back_to_scoring(h, state, ref, has_author, author_changed)
  if state == 'queued' or state == 'escalated' or state == 'approved' or state == 'rejected' then
    for i = 8, #KEYS do redis.call('ZREM', KEYS[i], ref) end
    if has_author == '1' then redis.call('HINCRBY', KEYS[6], state, -1) end
    if author_changed == '1' then redis.call('ZREM', KEYS[7], ref) end
  end
  redis.call('HDEL', KEYS[3], ref)
  redis.call('ZREM', KEYS[4], ref)
  redis.call('HDEL', h, 'record', 'action', 'priority', 'scored_at', 'queue', 'queue_score',
             'queued_at', 'ix', 'decision', 'decided_at', 'attempts', 'last_error',
             'scoring_failed')
  redis.call('HSET', h, 'state', 'received')
end
"""

# KEYS: as _BACK_TO_SCORING, KEYS[5] the comment's revision history list.
# ARGV: 1 comment json, 2 text digest, 3 received_at ms, 4 ref, 5 max backlog, 6 the revision
#       the caller read, 7 '1' when KEYS 6.. are those of the scored comment it read, 8 the
#       stored comment has an author ('1'/'0'), 9 the author changed ('1'/'0'), 10 now ms.
# A new revision (different text) of a comment already received, in whatever state: the current
# revision's snapshot (text, record, decision) joins the history, the comment leaves its queue,
# claim and author counts, takes the new text as revision n+1 and goes back on the ingest stream.
# Its decision `version` carries on (the next decision is n+1). Returns {status, revision}:
# revised; duplicate (same text as the current revision: nothing written); full (backlog);
# missing (no such comment); retry (it changed since the caller read it: read, retry).
REVISE = (
    _BACK_TO_SCORING
    + """
local h = KEYS[1]
local state = redis.call('HGET', h, 'state')
if not state then return {'missing', 0} end
local rev = tonumber(redis.call('HGET', h, 'revision') or '1')
if redis.call('HGET', h, 'digest') == ARGV[2] then return {'duplicate', rev} end
if state ~= 'received' and state ~= 'failed' and (rev ~= tonumber(ARGV[6]) or ARGV[7] ~= '1') then
  return {'retry', rev}
end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[5]) then return {'full', rev} end
local f = redis.call('HMGET', h, 'comment', 'received_at', 'record', 'decision', 'version')
redis.call('RPUSH', KEYS[5], '{"revision":' .. rev .. ',"state":' .. cjson.encode(state)
  .. ',"received_at":' .. (f[2] or 'null') .. ',"superseded_at":' .. ARGV[10]
  .. ',"version":' .. (f[5] or '0') .. ',"comment":' .. f[1]
  .. ',"record":' .. (f[3] or 'null') .. ',"decision":' .. (f[4] or 'null') .. '}')
back_to_scoring(h, state, ARGV[4], ARGV[8], ARGV[9])
rev = rev + 1
redis.call('HSET', h, 'comment', ARGV[1], 'digest', ARGV[2], 'revision', rev,
           'received_at', ARGV[3])
redis.call('XADD', KEYS[2], '*', 'ref', ARGV[4], 'rev', rev)
return {'revised', rev}
"""
)

# KEYS: as _BACK_TO_SCORING, KEYS[5] the ingest dead-letter stream.
# ARGV: 1 dead-letter entry id, 2 ref, 3 the revision the caller read, 4 '1' when KEYS 6.. are
#       those of the comment it read, 5 the comment has an author ('1'/'0'), 6 max backlog.
# Rescores a comment held because its scoring failed (or, from before holds, left `failed`):
# back to `received` and on the ingest stream, same revision; the dead letter is removed.
# A dead letter whose comment was decided, revised or rescored since is only removed.
# Returns {status, state}: rescored, resolved, full (backlog), retry (changed since read).
RESCORE = (
    _BACK_TO_SCORING
    + """
local h = KEYS[1]
local state = redis.call('HGET', h, 'state')
local rev = redis.call('HGET', h, 'revision') or '1'
local held = state == 'failed'
  or (state == 'queued' and redis.call('HGET', h, 'scoring_failed') == rev)
if not held then
  redis.call('XDEL', KEYS[5], ARGV[1])
  return {'resolved', state or 'missing'}
end
if state ~= 'failed' and (rev ~= ARGV[3] or ARGV[4] ~= '1') then return {'retry', state} end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[6]) then return {'full', state} end
back_to_scoring(h, state, ARGV[2], ARGV[5], '0')
redis.call('XADD', KEYS[2], '*', 'ref', ARGV[2], 'rev', rev)
redis.call('XDEL', KEYS[5], ARGV[1])
return {'rescored', state}
"""
)

# KEYS: 1 comment hash, 2 queue zset (or any key for approve), 3 feed stream, 4 outbox zset,
#       5 ingest stream, 6 outbox chain, 7 author history zset, 8 author counts hash,
#       9 ingest dead-letter stream, 10 outbox refs hash, 11.. the queue's other index zsets:
#       ARGV[13] by priority, then the rest by age (adapters/redis/index.py builds 6..).
# ARGV: 1 message id, 2 group, 3 record json, 4 action, 5 priority, 6 queue score, 7 now ms,
#       8 feed json, 9 deliver ('1' when a callback URL is configured), 10 ref, 11 dims json,
#       12 enqueue time ms, 13 count of priority index keys, 14 author history size,
#       15 has author ('1'/'0'), 16 the revision that was scored ('' for any), 17 the error when
#       scoring failed for good ('' otherwise), 18 attempts made.
# Stores the scored comment, queues and indexes it, files it in its author's history, appends
# the feed event, then acknowledges and deletes the ingest entry. A record for a failed scoring
# (ARGV[17]) also marks the comment `scoring_failed` and adds an ingest dead letter. A
# redelivered message whose comment is already scored, or whose revision was superseded by a
# newer one, is only acknowledged. Returns the state found ('superseded' for the latter).
STORE_SCORED = (
    _ENQUEUE
    + """
local state = redis.call('HGET', KEYS[1], 'state')
local rev = redis.call('HGET', KEYS[1], 'revision') or '1'
local current = state == 'received' and (ARGV[16] == '' or ARGV[16] == rev)
if current then
  local queued = ARGV[4] ~= 'approve'
  local now_state = queued and 'queued' or 'approved'
  redis.call('HSET', KEYS[1], 'record', ARGV[3], 'action', ARGV[4], 'priority', ARGV[5],
             'scored_at', ARGV[7], 'state', now_state)
  if queued then
    redis.call('HSET', KEYS[1], 'queue', ARGV[4], 'queue_score', ARGV[6],
               'queued_at', ARGV[12], 'ix', ARGV[11])
    redis.call('ZADD', KEYS[2], ARGV[6], ARGV[10])
    local n = tonumber(ARGV[13])
    for i = 11, #KEYS do
      redis.call('ZADD', KEYS[i], i < 11 + n and ARGV[6] or ARGV[12], ARGV[10])
    end
  end
  if ARGV[15] == '1' then
    redis.call('ZADD', KEYS[7], ARGV[12], ARGV[10])
    redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -tonumber(ARGV[14]) - 1)
    redis.call('HINCRBY', KEYS[8], now_state, 1)
  end
  if ARGV[17] ~= '' then
    redis.call('HSET', KEYS[1], 'scoring_failed', rev)
    redis.call('XADD', KEYS[9], '*', 'ref', ARGV[10], 'error', ARGV[17], 'attempts', ARGV[18],
               'at', ARGV[7], 'revision', rev)
  end
  local fid = redis.call('XADD', KEYS[3], '*', 'data', ARGV[8])
  if ARGV[9] == '1' then enqueue(KEYS[4], KEYS[6], KEYS[10], fid, ARGV[7]) end
end
redis.call('XACK', KEYS[5], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[5], ARGV[1])
if state == 'received' and not current then return 'superseded' end
return state or ''
"""
)

# KEYS: comment hash. ARGV: error text, the revision that failed ('' for any).
# Counts a failed scoring attempt of the current revision. Returns the attempts so far, or 0
# when the attempt no longer matters (the comment is no longer `received` at that revision:
# scored by another worker, or superseded by a new revision); nothing is counted then.
FAIL = """
local rev = redis.call('HGET', KEYS[1], 'revision') or '1'
if redis.call('HGET', KEYS[1], 'state') ~= 'received' or (ARGV[2] ~= '' and ARGV[2] ~= rev) then
  return 0
end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'last_error', ARGV[1])
return n
"""

# Shared by DECIDE and UNDO: the last steps of every decision (audit, history, callback).
_RECORD = """
local function record(feed_json, now)
  local fid = redis.call('XADD', KEYS[3], '*', 'data', feed_json)
  local aid = redis.call('XADD', KEYS[4], '*', 'data', feed_json, 'feed', fid)
  redis.call('RPUSH', KEYS[9], aid)
  return fid
end
local function recount(has_author, from, to)
  if has_author == '1' then
    redis.call('HINCRBY', KEYS[8], from, -1)
    redis.call('HINCRBY', KEYS[8], to, 1)
  end
end
"""

# KEYS: 1 comment hash, 2 claims hash, 3 feed stream, 4 audit stream, 5 outbox zset, 6 outbox
#       chain, 7 recently decided zset, 8 author counts hash, 9 decision history list, 10 outbox
#       refs hash, 11.. every index key the comment can be in (ARGV[11] of them), then, when
#       escalating, the escalated queue's index keys (ARGV[12] by priority, then ARGV[12] by age).
# ARGV: 1 decision, 2 reviewer, 3 now ms, 4 decision json, 5 feed json, 6 deliver flag, 7 ref,
#       8 version the caller read, 9 caller is admin ('1'/'0'), 10 escalated queue score,
#       11 count of index keys, 12 escalated index keys per order, 13 recent size, 14 has author,
#       15 the revision decided ('' or absent: whichever is current).
# Returns {feed id, new version, new state} or an error reply: NOTFOUND, REVISION <current>
# (the comment was edited: the caller decided an older revision), STATE <state>,
# FORBIDDEN (an escalated comment, a caller who is not an admin), CLAIMED <owner> (another
# reviewer's unexpired claim), STALE (decided or undone since the caller read it: read, retry).
DECIDE = (
    _ENQUEUE
    + _CLAIMS
    + _RECORD
    + """
local h = KEYS[1]
local state = redis.call('HGET', h, 'state')
if not state then return redis.error_reply('NOTFOUND') end
local revision = redis.call('HGET', h, 'revision') or '1'
if ARGV[15] and ARGV[15] ~= '' and ARGV[15] ~= revision then
  return redis.error_reply('REVISION ' .. revision)
end
if state ~= 'queued' and state ~= 'escalated' then return redis.error_reply('STATE ' .. state) end
if state == 'escalated' then
  if ARGV[9] ~= '1' then return redis.error_reply('FORBIDDEN') end
  if ARGV[1] == 'escalate' then return redis.error_reply('STATE escalated') end
end
local owner = holder(KEYS[2], ARGV[7])
if owner and owner ~= ARGV[2] then return redis.error_reply('CLAIMED ' .. owner) end
local version = tonumber(redis.call('HGET', h, 'version') or '0')
if version ~= tonumber(ARGV[8]) then return redis.error_reply('STALE') end
version = version + 1
local n_rm, n_add = tonumber(ARGV[11]), tonumber(ARGV[12])
for i = 11, 10 + n_rm do redis.call('ZREM', KEYS[i], ARGV[7]) end
local new_state = 'escalated'
if ARGV[1] == 'escalate' then
  local first = 11 + n_rm
  for i = first, first + 2 * n_add - 1 do
    redis.call('ZADD', KEYS[i], i < first + n_add and ARGV[10] or ARGV[3], ARGV[7])
  end
  redis.call('HSET', h, 'queue', 'escalated', 'queue_score', ARGV[10], 'queued_at', ARGV[3])
else
  new_state = ARGV[1] == 'approve' and 'approved' or 'rejected'
  redis.call('HDEL', h, 'queue')
end
redis.call('HSET', h, 'state', new_state, 'version', version, 'decision', ARGV[4],
           'decided_at', ARGV[3])
redis.call('HDEL', KEYS[2], ARGV[7])
redis.call('ZADD', KEYS[7], ARGV[3], ARGV[7])
redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -tonumber(ARGV[13]) - 1)
recount(ARGV[14], state, new_state)
local fid = record(ARGV[5], ARGV[3])
if ARGV[6] == '1' then enqueue(KEYS[5], KEYS[6], KEYS[10], fid, ARGV[3]) end
return {fid, version, new_state}
"""
)

# KEYS: as DECIDE; after the comment's index keys (ARGV[11]) come the restored queue's
#       (ARGV[12] by priority, then ARGV[12] by age).
# ARGV: 1 reviewer, 2 now ms, 3 decision json, 4 feed json, 5 deliver flag, 6 ref,
#       7 version being undone, 8 restored queue, 9 its queue score, 10 its enqueue time,
#       11 count of index keys, 12 restored index keys per order, 13 has author, 14 lease ms.
# A re-decision that puts the comment back where it was before decision `version` (same queue,
# same place), claimed by the reviewer. Returns {feed id, new version, restored state} or an
# error reply: NOTFOUND, STATE <state> (nothing to undo), STALE (not the latest decision).
UNDO = (
    _ENQUEUE
    + _CLAIMS
    + _RECORD
    + """
local h = KEYS[1]
local state = redis.call('HGET', h, 'state')
if not state then return redis.error_reply('NOTFOUND') end
if state ~= 'approved' and state ~= 'rejected' and state ~= 'escalated' then
  return redis.error_reply('STATE ' .. state)
end
local version = tonumber(redis.call('HGET', h, 'version') or '0')
if version == 0 or version ~= tonumber(ARGV[7]) then return redis.error_reply('STALE') end
version = version + 1
local n_rm, n_add = tonumber(ARGV[11]), tonumber(ARGV[12])
for i = 11, 10 + n_rm do redis.call('ZREM', KEYS[i], ARGV[6]) end
local first = 11 + n_rm
for i = first, first + 2 * n_add - 1 do
  redis.call('ZADD', KEYS[i], i < first + n_add and ARGV[9] or ARGV[10], ARGV[6])
end
local restored = ARGV[8] == 'escalated' and 'escalated' or 'queued'
redis.call('HSET', h, 'state', restored, 'queue', ARGV[8], 'queue_score', ARGV[9],
           'queued_at', ARGV[10], 'version', version, 'decision', ARGV[3], 'decided_at', ARGV[2])
hold(KEYS[2], ARGV[6], ARGV[1], ARGV[14])
redis.call('ZREM', KEYS[7], ARGV[6])
recount(ARGV[13], state, restored)
local fid = record(ARGV[4], ARGV[2])
if ARGV[5] == '1' then enqueue(KEYS[5], KEYS[6], KEYS[10], fid, ARGV[2]) end
return {fid, version, restored}
"""
)

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

# KEYS: 1 the view to walk (an index zset), 2 the reviewer's claims (a zset, see
# keys.claims_of), 3 the claims hash (keys.claims), 4.. other filter indexes a comment must
# also be in.
# ARGV: 1 reviewer ('' to only list), 2 lease ms, 3 how many to return, 4 most entries to read,
#       5 highest score to read ('+inf' or a number), 6 start after this member ('' from the
#       start), 7 that member's score, 8 most live claims the reviewer may hold (0: no cap,
#       claims not counted), 9 now ms.
# Walks the view in order, after the position (ARGV 6 and 7) when one is given, whether or not
# its member is still in the view. Listing, returns every comment that is in all the filters;
# claiming, only those nobody else holds, each claimed (or renewed) for the reviewer with the
# lease: in one atomic step, so two reviewers are never handed the same comment. With a cap, new
# claims stop once the reviewer holds that many live ones (renewals always go through).
# Returns {entries read, last member read, its score, 1 if the cap stopped the walk, refs...}.
WALK = (
    _CLAIMS
    + """
local who, lease = ARGV[1], ARGV[2]
local want, max_read = tonumber(ARGV[3]), tonumber(ARGV[4])
local cap, now = tonumber(ARGV[8]), tonumber(ARGV[9])
local function bytes_le(a, b)  -- a <= b as a sorted set orders members (bytes, not locale)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a <= #b
end
local min, offset, tied = '-inf', 0, nil
if ARGV[6] ~= '' then
  local rank = redis.call('ZRANK', KEYS[1], ARGV[6])
  if rank then
    min = ARGV[7]
    offset = rank - redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. ARGV[7]) + 1
  else
    -- the member is gone (decided) or in another partition: start at its score, passing over
    -- the members of that score that sort before it (a set orders a tie by member)
    min, tied = ARGV[7], ARGV[6]
  end
end
local room, capped = -1, 0
if who ~= '' and cap > 0 then
  room = cap
  for _, ref in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if holder(KEYS[3], ref) == who then room = room - 1 end
  end
end
local out, read, last, last_score = {}, 0, '', ''
local function wanted(ref)
  for k = 4, #KEYS do
    if not redis.call('ZSCORE', KEYS[k], ref) then return false end
  end
  if who == '' then return true end
  local owner = holder(KEYS[3], ref)
  if owner and owner ~= who then return false end
  if not owner and room == 0 then
    capped = 1
    return false
  end
  if not owner and room > 0 then room = room - 1 end
  hold(KEYS[3], ref, who, lease)
  if cap > 0 then redis.call('ZADD', KEYS[2], now + tonumber(lease), ref) end
  return true
end
while #out < want and read < max_read and capped == 0 do
  local step = math.min(100, max_read - read)
  local page = redis.call('ZRANGEBYSCORE', KEYS[1], min, ARGV[5], 'WITHSCORES',
                         'LIMIT', offset, step)
  if #page == 0 then break end
  offset = offset + #page / 2
  for i = 1, #page, 2 do
    read = read + 1
    last, last_score = page[i], page[i + 1]
    if tied and tonumber(last_score) == tonumber(ARGV[7]) and bytes_le(last, tied) then
      -- before the position: not wanted
    elseif wanted(last) then
      out[#out + 1] = last
      if #out >= want then break end
    end
    if capped == 1 then break end
  end
end
if who ~= '' and cap > 0 then
  for _, ref in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if holder(KEYS[3], ref) ~= who then redis.call('ZREM', KEYS[2], ref) end
  end
  if #out > 0 then redis.call('PEXPIRE', KEYS[2], lease) end
end
local reply = {read, last, last_score, capped}
for _, ref in ipairs(out) do reply[#reply + 1] = ref end
return reply
"""
)

# KEYS: claims hash, comment hash, the reviewer's claims (zset). ARGV: reviewer, lease ms, now
# ms, most live claims the reviewer may hold (0: no cap, the claim is not counted), the
# comment's ref.
# Claims (or renews) one comment for the reviewer. Returns {owner, ms left}: the reviewer when
# it is theirs now; another reviewer's name when theirs (nothing changes); '' when the comment
# is not awaiting a decision (then the second item is its state, or 'missing'), or
# {'', 'LIMIT', live claims} when a new claim would pass the cap (nothing changes).
CLAIM_ONE = (
    _CLAIMS
    + """
local state = redis.call('HGET', KEYS[2], 'state')
if state ~= 'queued' and state ~= 'escalated' then return {'', state or 'missing'} end
local owner, left = holder(KEYS[1], ARGV[5])
if owner and owner ~= ARGV[1] then return {owner, left} end
local cap = tonumber(ARGV[4])
if cap > 0 then
  local held, stale = 0, {}
  for _, ref in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    if holder(KEYS[1], ref) == ARGV[1] then held = held + 1
    else stale[#stale + 1] = ref end
  end
  if not owner and held >= cap then return {'', 'LIMIT', held} end
  for _, ref in ipairs(stale) do redis.call('ZREM', KEYS[3], ref) end
  redis.call('ZADD', KEYS[3], tonumber(ARGV[3]) + tonumber(ARGV[2]), ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
hold(KEYS[1], ARGV[5], ARGV[1], ARGV[2])
return {ARGV[1], tonumber(ARGV[2])}
"""
)

# KEYS: claims hash. ARGV: reviewer, force ('1': whoever holds it), the comment's ref. Returns 1
# when released, 0 when nobody held it (an expired entry is dropped), or the holder's name when
# it is someone else's (nothing changes).
RELEASE = (
    _CLAIMS
    + """
local owner = holder(KEYS[1], ARGV[3])
if not owner then
  redis.call('HDEL', KEYS[1], ARGV[3])
  return 0
end
if owner ~= ARGV[1] and ARGV[2] ~= '1' then return owner end
redis.call('HDEL', KEYS[1], ARGV[3])
return 1
"""
)

# KEYS: outbox zset, the comment's chain, attempts hash, errors hash, refs hash.
# ARGV: feed id, now ms.
# A delivered (or vanished) event leaves the outbox and its chain; the chain's next event
# becomes due now.
OUTBOX_DONE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
if redis.call('LINDEX', KEYS[2], 0) == ARGV[1] then
  redis.call('LPOP', KEYS[2])
else
  redis.call('LREM', KEYS[2], 0, ARGV[1])
end
local nxt = redis.call('LINDEX', KEYS[2], 0)
if nxt then redis.call('ZADD', KEYS[1], ARGV[2], nxt) end
return 1
"""

# KEYS: outbox zset, attempts hash, errors hash, dead-letter zset.
# ARGV: feed id, error, next due ms, max attempts, now ms.
# Counts a failed delivery: retried at the due time, or dead-lettered at max attempts (its chain
# then waits behind it until an admin replays it). Returns attempts, negative once dead.
OUTBOX_FAILED = """
local n = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
if n >= tonumber(ARGV[4]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
  return -n
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return n
"""

# KEYS: dead-letter zset, outbox zset, attempts hash. ARGV: feed id, now ms.
# Puts a dead letter back in the outbox, due now, with its attempts reset. Returns 1, or 0 when
# it was not dead-lettered (replayed already).
OUTBOX_REPLAY = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: failure counters (per account, per address). ARGV: window ms.
# Counts one failed login on each; a counter expires a window after its first failure.
LOGIN_FAILED = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 1
"""

# KEYS: 1 account counter hash, 2 address counter hash.
# ARGV: 1 now ms, 2 account allowance, 3 address allowance, 4 first delay ms, 5 longest delay ms,
#       6 window ms.
# Counts a login attempt before its password is checked, so parallel attempts cannot all pass
# the check. Each counter is a hash {n: attempts not cleared by a success, until: ms before
# which no attempt gets through}. Checks both first: returns the ms left to wait when either is
# waiting (nothing written). Otherwise counts the attempt on both; a counter at or past its
# allowance waits first delay × 2^(n - allowance), at most the longest delay (growing delays,
# not a fixed lock-out); a counter expires a window (plus its wait) after its last attempt.
# Returns 0 when the password may be checked. A counter left by an older version (a plain
# string) is dropped.
LOGIN_ATTEMPT = """
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, 2 do
  if redis.call('TYPE', KEYS[i]).ok == 'string' then redis.call('DEL', KEYS[i]) end
end
for i = 1, 2 do
  local left = tonumber(redis.call('HGET', KEYS[i], 'until') or '0') - now
  if left > wait then wait = left end
end
if wait > 0 then return wait end
for i = 1, 2 do
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  local allowance = tonumber(ARGV[1 + i])
  local ttl = tonumber(ARGV[6])
  if n >= allowance then
    local delay = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ (n - allowance))
    delay = math.floor(delay)
    redis.call('HSET', KEYS[i], 'until', now + delay)
    ttl = ttl + delay
  end
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0
"""

# KEYS: 1 account counter hash, 2 address counter hash. ARGV: 1 address allowance.
# A right password: the account's counter is cleared; the address gives back this attempt
# (only failures count against an address), and stops waiting once under its allowance.
LOGIN_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('TYPE', KEYS[2]).ok == 'hash' then
  local n = redis.call('HINCRBY', KEYS[2], 'n', -1)
  if n < tonumber(ARGV[1]) then redis.call('HDEL', KEYS[2], 'until') end
end
return 1
"""

# KEYS: 1 user hash, 2 users set, 3 token names hash.
# ARGV: 1 name, 2 password hash, 3 role, 4 account id, 5 created at (unix s).
# Creates an account whole (hash and set membership) or nothing. Returns 1 when created, 0 when
# the name is a user's, -1 when it is a token principal's.
ADD_USER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], 'password', ARGV[2], 'role', ARGV[3], 'disabled', '0',
           'uid', ARGV[4], 'created_at', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

# KEYS: 1 users set, 2 the user's hash, 3 token names hash, 4 tokens set, 5 the hash of the
#       token the caller found for the user (any token key when none), 6.. the hash of every
#       user the caller found in the users set.
# ARGV: 1 name, 2 new role ('' to keep), 3 disabled ('' to keep, '0', '1'), 4 remove ('1'),
#       5 the user's token digest the caller found ('' for none), 6.. the names of KEYS 6...
# Changes or removes an account, refusing to leave no enabled admin: the count of the others
# and the write are one step, so two admins disabling each other cannot both succeed. Removing
# also revokes the user's token. Every key is declared, so the caller reads the users set and
# the token first; when either changed since, nothing is written and -2 comes back (read, run
# again). Returns 1 when done, 0 when there is no such user, -1 when it would leave no enabled
# admin.
CHANGE_USER = """
local function enabled_admin(key)
  local found = redis.call('HMGET', key, 'role', 'disabled')
  return found[1] == 'admin' and found[2] ~= '1'
end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) ~= #KEYS - 5 then return -2 end
for i = 6, #KEYS do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then return -2 end
end
if (redis.call('HGET', KEYS[3], ARGV[1]) or '') ~= ARGV[5] then return -2 end
local role = ARGV[2] ~= '' and ARGV[2] or redis.call('HGET', KEYS[2], 'role')
local disabled = ARGV[3] ~= '' and ARGV[3] or redis.call('HGET', KEYS[2], 'disabled')
local stays = ARGV[4] ~= '1' and role == 'admin' and disabled ~= '1'
if enabled_admin(KEYS[2]) and not stays then
  local others = false
  for i = 6, #KEYS do
    if ARGV[i] ~= ARGV[1] and enabled_admin(KEYS[i]) then others = true break end
  end
  if not others then return -1 end
end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[1], ARGV[1])
  if ARGV[5] ~= '' then
    redis.call('DEL', KEYS[5])
    redis.call('SREM', KEYS[4], ARGV[5])
    redis.call('HDEL', KEYS[3], ARGV[1])
  end
else
  redis.call('HSET', KEYS[2], 'role', role, 'disabled', disabled)
end
return 1
"""

# KEYS: 1 session hash, 2 the user's hash. ARGV: 1 name, 2 role, 3 CSRF token, 4 lifetime ms.
# A session is written with its expiry and the account's id in one step: never a session that
# lives for ever, never one that outlives its account.
CREATE_SESSION = """
local uid = redis.call('HGET', KEYS[2], 'uid') or ''
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'role', ARGV[2], 'csrf', ARGV[3], 'uid', uid)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

# KEYS: 1 token names hash, 2 token hash, 3 tokens set, 4 user hash of the name, 5 the hash of
#       the name's token the caller found (any token key when none).
# ARGV: 1 name, 2 digest, 3 role ('' for a user's token: read from the account), 4 created at
#       (unix s), 5 expires at (unix ms, '' for never), 6 for a user ('1'/'0'), 7 the digest of
#       the name's token the caller found ('' for none).
# One live token per principal name. Returns 1 when created, or an error reply: DUPLICATE (the
# name has a live token), NOUSER (no such account for a user's token), USERNAME (a service
# token may not take a user's name), RETRY (the name's token changed since the caller read it).
CREATE_TOKEN = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if (old or '') ~= ARGV[7] then return redis.error_reply('RETRY') end
if old and redis.call('EXISTS', KEYS[5]) == 1 then return redis.error_reply('DUPLICATE') end
if old then redis.call('SREM', KEYS[3], old) end
local uid = ''
if ARGV[6] == '1' then
  uid = redis.call('HGET', KEYS[4], 'uid')
  if not uid then
    if redis.call('EXISTS', KEYS[4]) == 0 then return redis.error_reply('NOUSER') end
    uid = ''
  end
elseif redis.call('EXISTS', KEYS[4]) == 1 then
  return redis.error_reply('USERNAME')
end
redis.call('HSET', KEYS[2], 'name', ARGV[1], 'role', ARGV[3], 'created_at', ARGV[4],
           'expires_at', ARGV[5], 'user', ARGV[6], 'uid', uid)
if ARGV[5] ~= '' then redis.call('PEXPIREAT', KEYS[2], ARGV[5]) end
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# KEYS: 1 token hash, 2 tokens set, 3 token names hash. ARGV: 1 digest.
# Revokes a token and frees its principal's name. Returns 1 when it was live, 0 otherwise.
REVOKE_TOKEN = """
local name = redis.call('HGET', KEYS[1], 'name')
redis.call('SREM', KEYS[2], ARGV[1])
if name and redis.call('HGET', KEYS[3], name) == ARGV[1] then redis.call('HDEL', KEYS[3], name) end
return redis.call('DEL', KEYS[1])
"""

# KEYS: as DECIDE (1 comment hash, 2 claims hash, 3 feed stream, 4 audit stream, 5 outbox
#       zset, 6 outbox chain, 7 recently decided zset, 8 author counts hash, 9 decision history
#       list, 10 outbox refs hash, 11.. every index key the comment can be in, ARGV[8] of them).
# ARGV: 1 decision (approve | reject), 2 by (platform:<name>), 3 now ms, 4 decision json,
#       5 feed json, 6 ref, 7 version the caller read, 8 count of index keys, 9 recent size,
#       10 has author ('1'/'0').
# A verdict made on the platform itself, accepted in any state: the comment leaves every queue
# and claim, gets a new version, its feed event, audit entry and history; nothing goes to the
# callback outbox (the platform made this decision; it is not sent back to it). Returns {feed
# id, new version, new state} or an error reply: NOTFOUND, STALE (changed since it was read).
PLATFORM_DECIDE = (
    _RECORD
    + """
local h = KEYS[1]
local state = redis.call('HGET', h, 'state')
if not state then return redis.error_reply('NOTFOUND') end
local version = tonumber(redis.call('HGET', h, 'version') or '0')
if version ~= tonumber(ARGV[7]) then return redis.error_reply('STALE') end
version = version + 1
for i = 11, 10 + tonumber(ARGV[8]) do redis.call('ZREM', KEYS[i], ARGV[6]) end
local new_state = ARGV[1] == 'approve' and 'approved' or 'rejected'
redis.call('HDEL', h, 'queue')
redis.call('HSET', h, 'state', new_state, 'version', version, 'decision', ARGV[4],
           'decided_at', ARGV[3])
redis.call('HDEL', KEYS[2], ARGV[6])
redis.call('ZADD', KEYS[7], ARGV[3], ARGV[6])
redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -tonumber(ARGV[9]) - 1)
-- an unscored (or dead-lettered) comment was never counted in its author's states
if state ~= 'received' and state ~= 'failed' then recount(ARGV[10], state, new_state) end
local fid = record(ARGV[5], ARGV[3])
return {fid, version, new_state}
"""
)

# Policies as versioned data. KEYS: 1 versions hash, 2 current version, 3 log list.
# ARGV: 1 mode (seed | apply | rollback), 2 version, 3 version JSON (seed, apply), 4 the stored
# text (to compare with a version of the same name), 5 log entry JSON with "previous" left to
# this script. seed does nothing when a version is current (returns the current one); apply
# refuses a version name already stored with another text (EXISTS); rollback refuses a version
# that is not stored (NOTFOUND). Returns the current version afterwards.
POLICY_SET = """
local current = redis.call('GET', KEYS[2])
if ARGV[1] == 'seed' and current then return current end
local stored = redis.call('HGET', KEYS[1], ARGV[2])
if ARGV[1] == 'rollback' then
  if not stored then return redis.error_reply('NOTFOUND') end
elseif stored then
  if cjson.decode(stored)['text'] ~= ARGV[4] then return redis.error_reply('EXISTS') end
else
  local version = cjson.decode(ARGV[3])
  version['seq'] = redis.call('HLEN', KEYS[1]) + 1
  redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(version))
end
if current == ARGV[2] then return current end
local entry = cjson.decode(ARGV[5])
entry['previous'] = current or ''
redis.call('SET', KEYS[2], ARGV[2])
redis.call('RPUSH', KEYS[3], cjson.encode(entry))
return ARGV[2]
"""

# A second opinion. KEYS: 1 second-opinion queue, 2 the first decision's hash, 3 done stream,
# 4 disagreements zset, 5 comment hash. ARGV: 1 ref, 2 second reviewer, 3 decision, 4 now ms.
# Errors: NOTASKED (not awaiting a second opinion: never asked, or answered already), SAME (the
# first reviewer), STALE (the first decision was undone or superseded since: dropped). Returns
# the done entry's id and whether the opinions agree ("1"/"0").
SECOND_RECORD = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return redis.error_reply('NOTASKED') end
local first = redis.call('HGETALL', KEYS[2])
local f = {}
for i = 1, #first, 2 do f[first[i]] = first[i + 1] end
if f['by'] == ARGV[2] then return redis.error_reply('SAME') end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[5], 'version') ~= f['version'] then
  return redis.error_reply('STALE')
end
local agree = (f['decision'] == ARGV[3]) and '1' or '0'
local data = cjson.encode({ref = ARGV[1], first_by = f['by'], first = f['decision'],
  second_by = ARGV[2], second = ARGV[3], categories = cjson.decode(f['categories'] or '[]'),
  asked_at = tonumber(f['at']), at = tonumber(ARGV[4])})
local id = redis.call('XADD', KEYS[3], '*', 'data', data)
if agree == '0' then redis.call('ZADD', KEYS[4], ARGV[4], id) end
return {id, agree}
"""

# KEYS: 1 comment hash, 2 notes, 3 decision history, 4 revisions, 5 outbox chain, 6 recently
#       decided zset, 7 author history zset, 8 claims hash, 9 author counts, 10.. the sample queue's
#       index keys.
# ARGV: 1 ref, 2 version written to the archive, 3 revision written, 4 notes written, 5 has
#       author ('1'/'0').
# Deletes an archived comment from Redis only if it is still what was written: in a final
# state (or waiting in the control sample's queue: approved, never looked at; it leaves the
# queue, and its author's counts move it from queued to approved), same version, revision and
# notes, no callback still owed, no claim. Returns 1 when
# deleted, 0 when already gone (an earlier, interrupted run deleted it), -1 when kept (it
# changed since it was written; a later run archives it again and readers take the newest).
ARCHIVE_DELETE = (
    _CLAIMS
    + """
local f = redis.call('HMGET', KEYS[1], 'state', 'version', 'revision', 'queue')
if not f[1] then return 0 end
local sample = f[1] == 'queued' and f[4] == 'sample'
if (f[1] ~= 'approved' and f[1] ~= 'rejected' and not sample) or (f[2] or '0') ~= ARGV[2]
   or (f[3] or '1') ~= ARGV[3] then
  return -1
end
if redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[4]) then return -1 end
if redis.call('LLEN', KEYS[5]) > 0 or holder(KEYS[8], ARGV[1]) then return -1 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('HDEL', KEYS[8], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
for i = 10, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
if sample and ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[9], 'queued', -1)
  redis.call('HINCRBY', KEYS[9], 'approved', 1)
end
return 1
"""
)

# KEYS: the lease. ARGV: 1 token, 2 lease ms ('0': release). Renews (or releases) the lease
# only while this token holds it. Returns 1, or 0 when another holder has it (or nobody).
LEASE_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""

# KEYS: 1 comment hash. ARGV: 1 comment json, 2 record json, 3 action, 4 priority, 5 now ms,
#       6 ttl ms.
# Keeps a synchronously scored comment (not queued, state `analyzed`) for a later platform
# decision to join; an existing one (the same text again, or already decided) is left as it
# is and only its expiry renewed. Returns 1 when stored, 0 when it existed.
KEEP_ANALYZED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return 0
end
redis.call('HSET', KEYS[1], 'comment', ARGV[1], 'record', ARGV[2], 'action', ARGV[3],
           'priority', ARGV[4], 'received_at', ARGV[5], 'scored_at', ARGV[5],
           'state', 'analyzed', 'version', 0, 'revision', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
"""
