-- language-router's upstream step: the entry (upstream and model) of the
-- decision's language and script, the fallback when there is none or, with
-- `health_fallback`, when Kong's balancer has no healthy target for it; then
-- the switch of the Kong upstream.

local health = require "kong.plugins.language-router.health"
local languages = require "kong.plugins.language-router.languages"
local report = require "kong.plugins.language-router.report"


local kong = kong
local ngx = ngx

local sanitize = languages.sanitize
local clean = report.clean


local _M = {}

-- the fallback instead of `entry` when Kong's balancer for entry's upstream
-- has no healthy target (and the fallback's has)
local function healthy_entry(conf, plan, entry)
  local fallback = plan.fallback
  if not conf.health_fallback or entry == fallback or not entry.upstream
     or not fallback.upstream or fallback.upstream == entry.upstream
  then
    return entry
  end

  local ttl, now = conf.health_cache_seconds, ngx.now()
  if not health.unhealthy(entry.upstream, ttl, now) or health.unhealthy(fallback.upstream, ttl, now) then
    return entry
  end

  kong.log.notice("upstream '", entry.upstream, "' has no healthy target, using the fallback '",
                  fallback.upstream, "'")
  return fallback, entry.upstream
end



--- The entry of the decision in `state` (language.find), kept in `state`
-- with how it was chosen (routed_by, unhealthy), and the upstream switched.
function _M.choose(conf, plan, state)
  local lang, script = state.lang, state.script
  -- a mapping with the script wins over the language's mapping without one
  local by_script = lang and plan.scripted[lang]
  local entry = by_script and script and by_script[script] or lang and plan.entries[lang]
  local routed_by = state.source
  local unhealthy
  if entry then
    entry, unhealthy = healthy_entry(conf, plan, entry)
    if unhealthy then
      routed_by = "fallback"
    end

  else
    entry = plan.fallback
    routed_by = "fallback"
  end
  state.entry, state.routed_by, state.unhealthy = entry, routed_by, unhealthy

  if entry.upstream then
    local ok, err = kong.service.set_upstream(entry.upstream)
    if ok then
      state.upstream = entry.upstream
    else
      kong.log.err("could not switch to upstream '", sanitize(entry.upstream),
                   "', keeping the service's: ", clean(err))
    end
  end
end


return _M
