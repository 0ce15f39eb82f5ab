-- A fake of `kong.runloop.balancer` (Kong 3.9.3, kong/runloop/balancer/init.lua:
-- the table the module returns), limited to the two functions the plugin calls,
-- with Kong's return shapes:
--   get_upstream_by_name(name)  (upstreams.lua, upstreams_M.get_upstream_by_name)
--     -> upstream entity | false (no upstream by this name) | nil, err
--   get_balancer_health(id)     (healthcheckers.lua, healthcheckers_M.get_balancer_health)
--     -> { health = "HEALTHY"|"UNHEALTHY"|"HEALTHCHECKS_OFF",
--          balancer_health = "HEALTHY"|"UNHEALTHY", id = id,
--          details = <balancer_mt:getStatus()> } | nil, "upstream not found"
--          | nil, "balancer not found"
-- The balancer's `healthy` is computed as balancers.lua, balancer_mt:updateStatus:
-- false when the total weight is 0, else available weight in percent above
-- `healthchecks.threshold`. `calls` counts the calls (to show the cache works).
--
-- `install(upstreams)` puts it in package.loaded; each upstream is
-- `{ name, threshold = 0, checks = true, targets = { { name, port, weight, healthy } } }`.

local _M = { calls = { by_name = 0, health = 0 } }

local by_name, by_id = {}, {}


local function using_healthcheck(up)
  -- healthcheckers.lua, is_upstream_using_healthcheck
  local hc = up.healthchecks
  return hc.active.healthy.interval ~= 0 or hc.active.unhealthy.interval ~= 0
      or hc.passive.unhealthy.tcp_failures ~= 0 or hc.passive.unhealthy.timeouts ~= 0
      or hc.passive.unhealthy.http_failures ~= 0
end


local function status(up)
  -- balancers.lua, balancer_mt:getStatus / getTargetStatus
  local total, unavailable, hosts = 0, 0, {}
  for i, t in ipairs(up.fake_targets) do
    total = total + t.weight
    if not t.healthy then
      unavailable = unavailable + t.weight
    end
    hosts[i] = {
      host = t.name, port = t.port, dns = "A", nodeWeight = t.weight,
      weight = { total = t.weight, unavailable = t.healthy and 0 or t.weight,
                 available = t.healthy and t.weight or 0 },
      addresses = { { ip = "10.0.0." .. i, port = t.port, weight = t.weight, healthy = t.healthy } },
    }
  end

  local healthy
  if total == 0 then
    healthy = false
  else
    healthy = (total - unavailable) / total * 100 > up.healthchecks.threshold
  end

  return {
    healthy = healthy,
    weight = { total = total, unavailable = unavailable, available = total - unavailable },
    hosts = hosts,
  }
end


local module = {}


function module.get_upstream_by_name(name)
  _M.calls.by_name = _M.calls.by_name + 1
  return by_name[name] or false
end


function module.get_balancer_health(upstream_id)
  _M.calls.health = _M.calls.health + 1
  local up = by_id[upstream_id]
  if not up then
    return nil, "upstream not found"
  end
  if not up.fake_balancer then
    return nil, "balancer not found"
  end

  local details = status(up)
  local balancer_health = details.healthy and "HEALTHY" or "UNHEALTHY"
  return {
    health = using_healthcheck(up) and balancer_health or "HEALTHCHECKS_OFF",
    balancer_health = balancer_health,
    id = upstream_id,
    details = details,
  }
end


--- Replaces the upstreams the fake knows and installs it as kong.runloop.balancer.
function _M.install(upstreams)
  by_name, by_id = {}, {}
  _M.calls.by_name, _M.calls.health = 0, 0
  for i, u in ipairs(upstreams or {}) do
    local interval = u.checks == false and 0 or 5
    local up = {
      id = string.format("00000000-0000-4000-8000-%012d", i),
      name = u.name,
      healthchecks = {
        threshold = u.threshold or 0,
        active = { healthy = { interval = interval }, unhealthy = { interval = interval } },
        passive = { unhealthy = { tcp_failures = 0, timeouts = 0, http_failures = 0 } },
      },
      fake_targets = u.targets or {},
      fake_balancer = u.balancer ~= false,
    }
    by_name[u.name] = up
    by_id[up.id] = up
  end
  package.loaded["kong.runloop.balancer"] = module
  return _M
end


--- Marks target `i` of upstream `name` healthy or not.
function _M.set_target(name, i, healthy)
  by_name[name].fake_targets[i].healthy = healthy
end


function _M.uninstall()
  package.loaded["kong.runloop.balancer"] = nil
end


return _M
