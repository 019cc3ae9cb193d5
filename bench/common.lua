-- Shared by the bench/*.lua wrk scripts (loaded with dofile from bench/).
-- Numbers each wrk thread (so ids and random seeds differ per thread) and
-- reads a file of non-empty lines.

local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_id", counter)
end

function read_lines(path)
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   local lines = {}
   for line in f:lines() do
      line = line:gsub("%s+$", "")
      if line ~= "" then
         lines[#lines + 1] = line
      end
   end
   f:close()
   assert(#lines > 0, tostring(path) .. " is empty")
   return lines
end

function seed_random()
   math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
   -- LuaJIT's first draws after seeding are poorly mixed.
   for _ = 1, 10 do math.random() end
end
