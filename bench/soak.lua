-- wrk script: the soak mix, with latency per operation.
--   wrk -t C -c C -H "Authorization: Bearer TOKEN" -s bench/soak.lua URL -- IDS LISTS TAG DATE
-- IDS: request ids, one a line; LISTS: list paths, one a line; TAG keeps case
-- references unique; DATE is the transitions' effective date (today).
--
-- Each request is, at random, a read by id (70 %), a page of a filtered list
-- (20 %) or a write (10 %): a create (a draft), or the transition of this
-- thread's last draft to `sent`, in turn.
--
-- wrk's own latency figures cover the whole mix. For figures per operation
-- each thread must have exactly one connection (-t equal to -c): then its
-- request() and response() alternate, so the thread knows which operation
-- each response answers and times it with clock_gettime (LuaJIT's ffi).
-- Latencies go into histograms with 1 % wide buckets, merged in done().
dofile((debug.getinfo(1, "S").source:sub(2):match("^(.*/)") or "./") .. "common.lua")

local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
   int clock_gettime(int clock, soak_timespec *tp);
]]
local now_ts = ffi.new("soak_timespec")
local function now_us()
   ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
   return tonumber(now_ts.tv_sec) * 1e6 + tonumber(now_ts.tv_nsec) / 1e3
end

local OPS = { "read", "list", "write" }
local GROWTH = math.log(1.01)

local reads, lists = {}, {}
local tag, date = "soak", "2026-01-01"
local n = 0
local headers = {} -- the writes': the token and Content-Type
local draft = nil -- this thread's last created draft, waiting to be sent
local pending_op, pending_kind, started = nil, nil, 0

-- Per thread, copied out by done(): counts, errors and latency histograms
-- (flat tables: wrk's thread:get crashes on nested ones).
counts = { read = 0, list = 0, write = 0, create = 0, transition = 0 }
errors = { read = 0, list = 0, write = 0 }
hist_read, hist_list, hist_write = {}, {}, {}
local histograms = { read = hist_read, list = hist_list, write = hist_write }
first_error = ""

local threads = {}
local base_setup = setup
function setup(thread)
   base_setup(thread)
   threads[#threads + 1] = thread
end

function init(args)
   seed_random()
   for i, id in ipairs(read_lines(args[1])) do
      reads[i] = wrk.format("GET", "/api/v1/requests/" .. id)
   end
   for i, path in ipairs(read_lines(args[2])) do
      lists[i] = wrk.format("GET", path)
   end
   tag = args[3] or tag
   date = args[4] or date
   -- wrk.format replaces wrk.headers (the token) when given headers.
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   headers["Content-Type"] = "application/json"
end

local function write_request()
   n = n + 1
   if draft then
      pending_kind = "transition"
      local body = string.format('{"to":"sent","effective_date":"%s"}', date)
      local path = "/api/v1/requests/" .. draft .. "/transitions"
      draft = nil
      return wrk.format("POST", path, headers, body)
   end
   pending_kind = "create"
   local body = string.format(
      '{"case_reference":"SOAK-%s-%d-%d","title":"Soak request %d of thread %d",'
         .. '"issuing_magistrate":{"name":"Soak Judge %d"},"target_country":"PH",'
         .. '"channel":"diplomatic","legal_basis":"untoc"}',
      tag, thread_id or 0, n, n, thread_id or 0, n % 50)
   return wrk.format("POST", "/api/v1/requests", headers, body)
end

function request()
   local draw = math.random()
   if draw < 0.7 then
      pending_op = "read"
      started = now_us()
      return reads[math.random(#reads)]
   elseif draw < 0.9 then
      pending_op = "list"
      started = now_us()
      return lists[math.random(#lists)]
   end
   pending_op = "write"
   local req = write_request()
   started = now_us()
   return req
end

function response(status, headers, body)
   local op = pending_op
   if not op then
      return
   end
   local elapsed = math.max(now_us() - started, 1)
   local bucket = math.floor(math.log(elapsed) / GROWTH)
   local h = histograms[op]
   h[bucket] = (h[bucket] or 0) + 1
   counts[op] = counts[op] + 1
   if op == "write" then
      counts[pending_kind] = counts[pending_kind] + 1
   end
   if status < 200 or status > 299 then
      errors[op] = errors[op] + 1
      if first_error == "" then
         first_error = op .. " " .. status .. ": " .. string.sub(body or "", 1, 200)
      end
   elseif op == "write" and pending_kind == "create" then
      draft = string.match(body, '"id"%s*:%s*"([%x%-]+)"')
   end
   pending_op = nil
end

-- The latency (ms) below which `share` of a histogram's samples fall.
local function percentile(h, total, share)
   local keys = {}
   for k in pairs(h) do
      keys[#keys + 1] = k
   end
   table.sort(keys)
   local seen, want = 0, share * total
   for _, k in ipairs(keys) do
      seen = seen + h[k]
      if seen >= want then
         return math.exp((k + 1) * GROWTH) / 1000
      end
   end
   return 0
end

function done(summary, latency, requests)
   local total = { read = 0, list = 0, write = 0, create = 0, transition = 0 }
   local errs = { read = 0, list = 0, write = 0 }
   local merged = { read = {}, list = {}, write = {} }
   local firsts = {}
   for _, thread in ipairs(threads) do
      local c, e = thread:get("counts"), thread:get("errors")
      for k, v in pairs(c) do
         total[k] = total[k] + v
      end
      for _, op in ipairs(OPS) do
         errs[op] = errs[op] + e[op]
         for b, v in pairs(thread:get("hist_" .. op)) do
            merged[op][b] = (merged[op][b] or 0) + v
         end
      end
      local f = thread:get("first_error")
      if f ~= "" then
         firsts[#firsts + 1] = f
      end
   end
   local seconds = summary.duration / 1e6
   local all = total.read + total.list + total.write
   -- One line per operation, for scripts/bench to read.
   for _, op in ipairs(OPS) do
      io.write(string.format("SOAK %s requests=%d share=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
         op, total[op], all > 0 and total[op] / all or 0, total[op] / seconds,
         percentile(merged[op], total[op], 0.5), percentile(merged[op], total[op], 0.99), errs[op]))
   end
   io.write(string.format("SOAK writes creates=%d transitions=%d\n", total.create, total.transition))
   for i = 1, math.min(#firsts, 3) do
      io.write("SOAK first_error " .. firsts[i]:gsub("\n", " ") .. "\n")
   end
end
