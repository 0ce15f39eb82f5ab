-- The counters of rate-limiting-inline, counted in the request: no timer.
--
-- Keys are Kong 3.9.3 rate-limiting's (kong/plugins/rate-limiting/policies/
-- init.lua, get_local_key; its redis policy uses the same key), so a switch
-- between the two plugins keeps the counts. Each counter function takes the
-- keys and the plan of a configuration and returns, per window, the count
-- before this request (Kong's `usage`), or nil, err.
--
-- local: shm:incr per window in kong_rate_limiting_counters (Kong's ttls,
--   kong/plugins/rate-limiting/expiration.lua); when a window is over its
--   limit the request's increments are taken back (Kong does not count a
--   refused request). shm:incr never yields: nothing runs in between.
-- redis: one EVAL, which reads every window and increments them all only when
--   none is over its limit, setting each new key's expiry: one round trip,
--   exact across nodes.

local redis = require "kong.plugins.rate-limiting-inline.redis"


local ngx = ngx
local fmt = string.format
local type = type
local unpack = unpack
local tostring = tostring
local shm = ngx.shared.kong_rate_limiting_counters


local _M = {}


--- The key of each window of `plan` for `identifier` at `stamps`
-- (kong.tools.timestamp.get_timestamps), as Kong's get_local_key.
function _M.keys(plan, identifier, stamps)
  local keys = {}
  local periods = plan.periods
  for i = 1, plan.n do
    local period = periods[i]
    keys[i] = fmt("ratelimit:%s:%s:%s:%s:%s", plan.route_id, plan.service_id, identifier,
                  stamps[period], period)
  end
  return keys
end


_M["local"] = function(conf, plan, keys)
  local n, limits, ttls = plan.n, plan.limits, plan.ttls
  local usage = {}
  local over = false
  for i = 1, n do
    local count, err = shm:incr(keys[i], 1, 0, ttls[i])
    if not count then
      return nil, "could not increment counter for period '" .. plan.periods[i] .. "': " .. tostring(err)
    end
    usage[i] = count - 1
    if limits[i] - usage[i] <= 0 then
      over = true
    end
  end

  if over then
    for i = 1, n do
      shm:incr(keys[i], -1)
    end
  end
  return usage
end


-- KEYS: the windows' keys; ARGV: their limits, then their ttls (seconds).
-- Returns each window's count before this request.
local SCRIPT = [[
local n = #KEYS
local usage = {}
local over = false
for i = 1, n do
  local used = tonumber(redis.call("get", KEYS[i]) or 0)
  usage[i] = used
  if tonumber(ARGV[i]) - used <= 0 then
    over = true
  end
end
if not over then
  for i = 1, n do
    if redis.call("incr", KEYS[i]) == 1 then
      redis.call("expire", KEYS[i], ARGV[n + i])
    end
  end
end
return usage
]]

_M.SCRIPT = SCRIPT


_M.redis = function(conf, plan, keys)
  local red, err = redis.connect(conf.redis)
  if not red then
    return nil, err
  end

  local n = plan.n
  local args = {}
  for i = 1, n do
    args[i] = keys[i]
    args[n + i] = plan.limits[i]
    args[2 * n + i] = plan.ttls[i]
  end

  local usage
  usage, err = red:eval(SCRIPT, n, unpack(args, 1, 3 * n))
  if not usage then
    red:close()
    return nil, err
  end
  redis.release(red)

  if type(usage) ~= "table" or #usage ~= n then
    return nil, "unexpected reply from the Redis script: " .. tostring(usage)
  end
  return usage
end


return _M
