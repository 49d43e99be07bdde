-- serve-load.lua — the load generator of bench/serve.sh (issue 11): a wrk script (Debian's
-- wrk, LuaJIT) that posts each submission of a list once to pinggu serve.
--
-- Run as: wrk -t1 -cCLIENTS -dLIMIT --latency -s serve-load.lua URL -- BODIES PATH
--         CONTENT-TYPE [NAME=VALUE]...
-- BODIES is either FILE.jsonl, one body per line (JSON submissions), or a file naming one body
-- file per line (multipart OpenRosa submissions, with their photos). Body i (from 0) is posted
-- to PATH with Content-Type, the NAME=VALUE headers and Idempotency-Key q-i (the JSON API's
-- retry key; OpenRosa ignores it: its instanceID is the key). One wrk thread drives CLIENTS
-- keep-alive connections (an event loop in C: the generator stays a small part of the
-- machine's CPU, unlike a Python client). When the last submission has been answered the
-- script ends the run (SIGINT to wrk itself, which wrk takes as the end of the run). The time
-- reported is from the first request sent to the last answer received, taken here
-- (CLOCK_MONOTONIC through LuaJIT's ffi): wrk's own duration runs on to its next 100 ms tick.
--
-- Invariants: each body is sent once, in order; once all are sent, a connection that asks for
-- more is given an empty request (wrk writes nothing and waits for an answer that never comes,
-- until the run ends), so wrk's latency histogram holds the submissions' answers only.
local ffi = require("ffi")
ffi.cdef [[
  int getpid(void); int kill(int pid, int sig);
  typedef struct { long tv_sec; long tv_nsec; } pg_timespec;
  int clock_gettime(int clock, pg_timespec *tp);
]]
local ts = ffi.new("pg_timespec")
local function now_us() -- CLOCK_MONOTONIC, microseconds
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local bodies, n, sent = {}, 0, 0
local path, headers
local threads = {}
-- globals, so that done() (in wrk's main Lua state) reads them through thread:get
answered, ok, refused, first_refusal, t_first, t_last, bytes = 0, 0, 0, "", 0, 0, 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local list = args[1]
  if list:sub(-6) == ".jsonl" then
    for line in io.lines(list) do
      n = n + 1
      bodies[n] = line
    end
  else
    for name in io.lines(list) do
      local f = assert(io.open(name, "rb"))
      n = n + 1
      bodies[n] = f:read("*a")
      f:close()
    end
  end
  for i = 1, n do bytes = bytes + #bodies[i] end
  path = args[2]
  headers = { ["Content-Type"] = args[3] }
  for i = 4, #args do
    local k, v = args[i]:match("^([^=]+)=(.*)$")
    headers[k] = v
  end
end

-- wrk calls request() once before the run to check the script (script_verify_request, on the
-- first thread's state: this script runs with -t1), and sends nothing of that call: the first
-- call is answered without counting it.
local verified = false
function request()
  if not verified then
    verified = true
    return wrk.format("POST", path, headers, bodies[1])
  end
  sent = sent + 1
  if sent > n then return "" end -- all sent: this connection sends nothing more and waits
  if sent == 1 then t_first = now_us() end
  headers["Idempotency-Key"] = "q-" .. (sent - 1)
  return wrk.format("POST", path, headers, bodies[sent])
end

function response(status, hdrs, body)
  answered = answered + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    refused = refused + 1
    if refused == 1 then first_refusal = status .. " " .. (body or "") end
  end
  if answered == n then
    t_last = now_us()
    ffi.C.kill(ffi.C.getpid(), 2)
  end
end

function done(summary, latency, requests)
  local t = threads[1]
  -- one line for bench/serve.sh: time (µs), answered, acknowledged, refused, p50, p99 (µs),
  -- bytes of the bodies
  io.write(string.format("wrk %d %d %d %d %d %d %d\n", t:get("t_last") - t:get("t_first"),
    t:get("answered"), t:get("ok"), t:get("refused"), latency:percentile(50),
    latency:percentile(99), t:get("bytes")))
  if t:get("refused") > 0 then io.write("first refusal: " .. t:get("first_refusal") .. "\n") end
end
