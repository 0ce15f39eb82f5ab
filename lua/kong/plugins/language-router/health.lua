-- Whether a Kong Upstream can serve, as Kong's balancer sees it, cached per
-- worker for a few seconds.
--
-- Kong 3.9.3 exposes to plugins, in `kong.runloop.balancer` (init.lua, the
-- module's returned table):
--   get_upstream_by_name(name)  -> upstream entity | false (no such upstream)
--                                  | nil, err (upstreams.lua)
--   get_balancer_health(id)     -> { health, balancer_health, id, details }
--                                  | nil, err (healthcheckers.lua)
-- `balancer_health` is "HEALTHY" or "UNHEALTHY" from the balancer's own
-- `healthy` flag (balancers.lua, balancer_mt:updateStatus: the available
-- weight is above the upstream's `healthchecks.threshold` percent); when it is
-- false Kong refuses the request with 503 ("Balancer is unhealthy",
-- balancer_mt:getPeer). `health` is that value, or "HEALTHCHECKS_OFF" when the
-- upstream has no active or passive checks. get_balancer_health also builds
-- `details` (balancer_mt:getStatus: one table per target and address), so it
-- costs a few table allocations per target: hence the cache.
--
-- No balancer yet in this worker ("balancer not found") or any error counts
-- as healthy: the plugin then changes nothing.

local pcall = pcall
local require = require
local type = type


local _M = {}


local cache = {}     -- upstream name -> { expires = seconds, unhealthy = bool }


local function query(name)
  local ok, balancer = pcall(require, "kong.runloop.balancer")
  if not ok or type(balancer) ~= "table" then
    return false
  end

  local upstream = balancer.get_upstream_by_name(name)
  if type(upstream) ~= "table" then
    return false
  end

  local health = balancer.get_balancer_health(upstream.id)
  if type(health) ~= "table" then
    return false
  end

  return health.balancer_health == "UNHEALTHY"
end


--- true when Kong's balancer for upstream `name` has no healthy weight left.
-- @param name upstream name
-- @param ttl seconds an answer is reused in this worker (0: never)
-- @param now current time in seconds (ngx.now())
function _M.unhealthy(name, ttl, now)
  local c = cache[name]
  if c and c.expires > now then
    return c.unhealthy
  end

  local ok, unhealthy = pcall(query, name)
  unhealthy = ok and unhealthy == true
  if ttl > 0 then
    cache[name] = { expires = now + ttl, unhealthy = unhealthy }
  end
  return unhealthy
end


--- Forgets every cached answer (tests).
function _M.reset()
  cache = {}
end


return _M
