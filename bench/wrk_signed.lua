-- wrk script for the ingest benchmark (bench/bench_ingest.py). Every request posts a comment
-- nobody posted before, signed ahead of time: wrk's Lua has no HMAC, so bench_ingest.py writes
-- one "signature<TAB>body" line per comment, signed just before the run (the signature's
-- 300 s tolerance outlasts it). Thread i of n takes lines i, i+n, i+2n ... so no two requests
-- share a comment while the file lasts. With RATE > 0 each thread sends on a fixed schedule of
-- RATE requests per second (request n at start + n / RATE, whichever connection is free), so
-- latency is measured at that offered load rather than at saturation.
-- Usage: wrk -s wrk_signed.lua URL -- FILE THREADS [RATE per thread]
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } moderator_timespec;
int clock_gettime(int clock, moderator_timespec *ts);
]]
local clock = ffi.new("moderator_timespec")
local threads = {}

local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  rate = tonumber(args[3] or "0")
  slot = 0
  bodies = {}
  statuses = {}
  sent = 0
  local line_no = 0
  for line in io.lines(path) do
    if line_no % count == thread_index then
      local tab = line:find("\t", 1, true)
      bodies[#bodies + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
    end
    line_no = line_no + 1
  end
end

function delay()
  if rate <= 0 then
    return 0
  end
  if not started then
    started = now_ms()
  end
  slot = slot + 1
  local wait = started + slot * 1000 / rate - now_ms()
  return wait > 0 and wait or 0
end

function request()
  sent = sent + 1
  local item = bodies[((sent - 1) % #bodies) + 1]
  return wrk.format("POST", "/v1/comments", {
    ["Content-Type"] = "application/json",
    ["X-Moderator-Signature"] = item[1],
  }, item[2])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%s": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"p999_us": %d, "max_us": %d, "mean_us": %.1f, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
