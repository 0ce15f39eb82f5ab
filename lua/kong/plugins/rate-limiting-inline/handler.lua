-- rate-limiting-inline: Kong 3.9.3's rate-limiting, counted in the request.
--
-- Kong's rate-limiting (kong/plugins/rate-limiting/handler.lua, access) reads
-- the counters, then starts a timer (ngx.timer.at(0, increment), through
-- lua-resty-timer-ng) on every request to add 1 with the `local` policy, and
-- with `redis` at sync_rate -1. shm:incr does not yield: the timer buys
-- nothing but its own cost. This plugin counts in the request instead
-- (counters.lua) and keeps everything a client or an operator sees:
-- the identifier (get_identifier, with its fallbacks), the windows
-- (kong.tools.timestamp), the counter keys, the response headers (through
-- kong.pdk.private.rate_limiting, so several rate-limit plugins cooperate),
-- hide_client_headers, error_code / error_message and fault_tolerant.

local timestamp = require "kong.tools.timestamp"
local pdk_private_rl = require "kong.pdk.private.rate_limiting"
local EXPIRATION = require "kong.plugins.rate-limiting.expiration"
local counters = require "kong.plugins.rate-limiting-inline.counters"


local kong = kong
local ngx = ngx
local max = math.max
local floor = math.floor
local time = ngx.time
local error = error
local tostring = tostring
local ipairs = ipairs
local setmetatable = setmetatable
local null = ngx.null
local get_timestamps = timestamp.get_timestamps
local store_header = pdk_private_rl.store_response_header
local apply_headers = pdk_private_rl.apply_response_headers


local EMPTY = {}
local EMPTY_UUID = "00000000-0000-0000-0000-000000000000"
local PERIODS = { "second", "minute", "hour", "day", "month", "year" }

local RATELIMIT_LIMIT = "RateLimit-Limit"
local RATELIMIT_REMAINING = "RateLimit-Remaining"
local RATELIMIT_RESET = "RateLimit-Reset"
local RETRY_AFTER = "Retry-After"

local X_RATELIMIT_LIMIT = {
  second = "X-RateLimit-Limit-Second",
  minute = "X-RateLimit-Limit-Minute",
  hour = "X-RateLimit-Limit-Hour",
  day = "X-RateLimit-Limit-Day",
  month = "X-RateLimit-Limit-Month",
  year = "X-RateLimit-Limit-Year",
}

local X_RATELIMIT_REMAINING = {
  second = "X-RateLimit-Remaining-Second",
  minute = "X-RateLimit-Remaining-Minute",
  hour = "X-RateLimit-Remaining-Hour",
  day = "X-RateLimit-Remaining-Day",
  month = "X-RateLimit-Remaining-Month",
  year = "X-RateLimit-Remaining-Year",
}


local RateLimitingInline = {
  PRIORITY = 910,  -- Kong's rate-limiting's
  VERSION = "0.1.0",
}


-- Kong's get_service_and_route_ids: the all-zero UUID for a global instance
local function id_or_empty(id)
  if not id or id == null then
    return EMPTY_UUID
  end
  return id
end


-- per configuration: its windows (shortest first), limits and ttls
local plans = setmetatable({}, { __mode = "k" })


local function get_plan(conf)
  local plan = plans[conf]
  if plan then
    return plan
  end
  plan = {
    n = 0,
    periods = {},
    limits = {},
    ttls = {},
    route_id = id_or_empty(conf.route_id),
    service_id = id_or_empty(conf.service_id),
  }
  for _, period in ipairs(PERIODS) do
    local limit = conf[period]
    if limit and limit ~= null then
      local n = plan.n + 1
      plan.n = n
      plan.periods[n] = period
      plan.limits[n] = limit
      plan.ttls[n] = EXPIRATION[period]
    end
  end
  plans[conf] = plan
  return plan
end


-- the windows' starts (ms) of the current second, computed once a second
local stamps_at, stamps


local function windows(now)
  if now ~= stamps_at then
    stamps = get_timestamps(now * 1000)
    stamps_at = now
  end
  return stamps
end


-- Kong's rate-limiting get_identifier, fallbacks included: the client's
-- address when the configured entity is absent
local function get_identifier(conf)
  local identifier
  local limit_by = conf.limit_by

  if limit_by == "service" then
    identifier = (kong.router.get_service() or EMPTY).id

  elseif limit_by == "consumer" then
    identifier = (kong.client.get_consumer() or kong.client.get_credential() or EMPTY).id

  elseif limit_by == "credential" then
    identifier = (kong.client.get_credential() or EMPTY).id

  elseif limit_by == "header" then
    identifier = kong.request.get_header(conf.header_name)

  elseif limit_by == "path" then
    local req_path = kong.request.get_path()
    if req_path == conf.path then
      identifier = req_path
    end
  end

  return identifier or kong.client.get_forwarded_ip()
end


-- Kong's headers: per window its limit and remaining; RateLimit-* of the
-- window with the fewest remaining (the longest on a tie); Retry-After when
-- refused. `stop` is a window over its limit (its remaining is 0 either way).
local function set_headers(plan, usage, stop, now)
  local ngx_ctx = ngx.ctx
  local current_timestamp = now * 1000
  local periods, limits, ttls = plan.periods, plan.limits, plan.ttls
  local limit, window, remaining, reset
  for i = 1, plan.n do
    local period = periods[i]
    local current_limit = limits[i]
    local current_window = ttls[i]
    local current_remaining = current_limit - usage[i]
    if stop == nil or stop == i then
      current_remaining = current_remaining - 1
    end
    current_remaining = max(0, current_remaining)

    if not limit or current_remaining < remaining
                 or (current_remaining == remaining and current_window > window) then
      limit = current_limit
      window = current_window
      remaining = current_remaining
      reset = max(1, window - floor((current_timestamp - windows(now)[period]) / 1000))
    end

    store_header(ngx_ctx, X_RATELIMIT_LIMIT[period], current_limit)
    store_header(ngx_ctx, X_RATELIMIT_REMAINING[period], current_remaining)
  end

  store_header(ngx_ctx, RATELIMIT_LIMIT, limit)
  store_header(ngx_ctx, RATELIMIT_REMAINING, remaining)
  store_header(ngx_ctx, RATELIMIT_RESET, reset)
  if stop then
    store_header(ngx_ctx, RETRY_AFTER, reset)
  end
  apply_headers(ngx_ctx)
end


function RateLimitingInline:access(conf)
  local now = time()
  local plan = get_plan(conf)
  local keys = counters.keys(plan, get_identifier(conf), windows(now))

  local usage, err = counters[conf.policy](conf, plan, keys)
  if not usage then
    if not conf.fault_tolerant then
      return error(err)
    end
    kong.log.err("failed to get usage: ", tostring(err))
    return
  end

  local stop
  local limits = plan.limits
  for i = 1, plan.n do
    if limits[i] - usage[i] <= 0 then
      stop = i
    end
  end

  if not conf.hide_client_headers then
    set_headers(plan, usage, stop, now)
  end

  if stop then
    return kong.response.error(conf.error_code, conf.error_message)
  end
end


return RateLimitingInline
