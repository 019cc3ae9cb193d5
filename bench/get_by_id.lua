-- wrk script: GET /api/v1/requests/{id}, id drawn at random from a file.
--   wrk -H "Authorization: Bearer TOKEN" -s bench/get_by_id.lua URL -- IDS_FILE
-- IDS_FILE: one request id a line (scripts/bench writes ~2000 of them).
dofile((debug.getinfo(1, "S").source:sub(2):match("^(.*/)") or "./") .. "common.lua")

local requests = {}

function init(args)
   seed_random()
   for i, id in ipairs(read_lines(args[1])) do
      requests[i] = wrk.format("GET", "/api/v1/requests/" .. id)
   end
end

function request()
   return requests[math.random(#requests)]
end
