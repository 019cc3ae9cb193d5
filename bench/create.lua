-- wrk script: POST /api/v1/requests with a unique body each time.
--   wrk -H "Authorization: Bearer TOKEN" -s bench/create.lua URL -- RUN_TAG
-- RUN_TAG keeps case references unique across runs. Every other request is
-- created directly as `sent` (with sent_at), the rest as drafts.
dofile((debug.getinfo(1, "S").source:sub(2):match("^(.*/)") or "./") .. "common.lua")

local countries = { "PH", "NG", "CO", "ID", "TH" }
local tag = "run"
local n = 0

function init(args)
   tag = args[1] or tostring(os.time())
   wrk.method = "POST"
   wrk.path = "/api/v1/requests"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local sent = ""
   if n % 2 == 0 then
      sent = ',"sent_at":"2025-01-15"'
   end
   local body = string.format(
      '{"case_reference":"BENCH-%s-%d-%d","title":"Bench request %d of thread %d",'
         .. '"issuing_magistrate":{"name":"Bench Judge %d"},"target_country":"%s",'
         .. '"channel":"diplomatic","legal_basis":"untoc"%s}',
      tag, thread_id or 0, n, n, thread_id or 0, n % 50, countries[n % #countries + 1], sent)
   return wrk.format(nil, nil, nil, body)
end
