-- wrk script: filtered list pages, rotating through the queries of a file.
--   wrk -H "Authorization: Bearer TOKEN" -s bench/list.lua URL -- QUERIES_FILE [N]
-- QUERIES_FILE: one path+query a line, e.g. /api/v1/requests?status=sent&limit=20
-- (scripts/bench writes them, including a second page via a real cursor).
-- N: run only the query of line N (1-based) instead of rotating through all.
dofile((debug.getinfo(1, "S").source:sub(2):match("^(.*/)") or "./") .. "common.lua")

local requests = {}
local next_index = 1

function init(args)
   local paths = read_lines(args[1])
   local only = tonumber(args[2])
   if only then
      assert(paths[only], "no query on line " .. only)
      paths = { paths[only] }
   end
   for i, path in ipairs(paths) do
      requests[i] = wrk.format("GET", path)
   end
   -- Threads start at different queries so the mix is even from the start.
   next_index = ((thread_id or 1) - 1) % #requests + 1
end

function request()
   local r = requests[next_index]
   next_index = next_index % #requests + 1
   return r
end
