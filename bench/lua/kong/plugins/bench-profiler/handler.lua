-- bench-profiler: LuaJIT's sampling profiler in a `make bench-live` Kong
-- worker, never configured on a route: Kong runs a loaded plugin's
-- init_worker whether or not it is configured (kong/init.lua init_worker,
-- execute_init_worker_plugins_iterator). The bench drives it with files in
-- the Kong prefix (tests/local_gateway/profile.py):
--   bench-profile.start  counts cleared, profiler started
--   bench-profile.stop   profiler stopped, counts written to bench-profile.out
-- One line per distinct stack: "<samples>\t<vmstate>\t<frames>", the frames
-- "file:line" innermost last, joined by "|" (jit.profile dumpstack "pl|").
-- Only the bench loads it: it is in neither the image nor KONG_PLUGINS.

local profile = require "jit.profile"


local kong = kong
local ngx = ngx
local pairs = pairs
local io_open = io.open
local os_remove = os.remove
local os_rename = os.rename
local concat = table.concat
local dumpstack = profile.dumpstack

local POLL = 0.2      -- seconds between looks at the control files
local DEPTH = -40     -- the innermost 40 frames, outermost first
local INTERVAL = "i1" -- ms; the kernel's tick (CONFIG_HZ) rounds it up


local BenchProfiler = {
  PRIORITY = 1,
  VERSION = "0.1.0",
}


local counts = {}
local running = false


local function sample(thread, samples, vmstate)
  local key = vmstate .. "\t" .. dumpstack(thread, "pl|", DEPTH)
  counts[key] = (counts[key] or 0) + samples
end


local function exists(path)
  local f = io_open(path)
  if not f then
    return false
  end
  f:close()
  return true
end


local function write(path)
  local lines, n = {}, 0
  for key, samples in pairs(counts) do
    n = n + 1
    lines[n] = samples .. "\t" .. key
  end
  local tmp = path .. ".tmp"
  local f, err = io_open(tmp, "w")
  if not f then
    kong.log.err("bench-profiler: ", err)
    return
  end
  f:write(concat(lines, "\n", 1, n), "\n")
  f:close()
  os_rename(tmp, path)
end


local function poll(premature, prefix)
  if premature then
    return
  end
  if exists(prefix .. "/bench-profile.start") then
    os_remove(prefix .. "/bench-profile.start")
    counts = {}
    if not running then
      profile.start(INTERVAL, sample)
      running = true
    end
  end
  if exists(prefix .. "/bench-profile.stop") then
    if running then
      profile.stop()
      running = false
    end
    write(prefix .. "/bench-profile.out")
    os_remove(prefix .. "/bench-profile.stop")
  end
end


function BenchProfiler:init_worker()
  local ok, err = ngx.timer.every(POLL, poll, kong.configuration.prefix)
  if not ok then
    kong.log.err("bench-profiler: no timer: ", err)
  end
end


return BenchProfiler
