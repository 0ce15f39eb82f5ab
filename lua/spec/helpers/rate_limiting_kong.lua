-- The Kong 3.9.3 modules rate-limiting-inline requires, for the specs:
--   kong.plugins.rate-limiting.expiration and kong.pdk.private.rate_limiting:
--     Kong's own files when KONG_SOURCE names a checkout (helpers/kong_source),
--     else fakes shaped as they are (the ttl of each window; the response
--     headers kept in ngx.ctx.__rate_limiting_context__ and written to
--     ngx.header by apply_response_headers);
--   kong.tools.timestamp: get_timestamps(now_ms) -> the start (ms, UTC) of the
--     second, minute, hour, day, month and year holding now (Kong's computes
--     them with luatz, a rock outside the source tree);
--   resty.redis: helpers/redis_fake.
-- `install()` puts them in package.loaded; `kong_source` says whether Kong's
-- own files were used.

local kong_source = require "helpers.kong_source"
local redis_fake = require "helpers.redis_fake"

local _M = {}


local EXPIRATION = {
  second = 1,
  minute = 60,
  hour = 3600,
  day = 86400,
  month = 2592000,
  year = 31536000,
}


local RL_CONTEXT = "__rate_limiting_context__"

local private_rl = {
  store_response_header = function(ngx_ctx, key, value)
    assert(type(key) == "string", "key must be a string")
    assert(type(value) == "number" or type(value) == "string", "value must be a string or a number")
    local ctx = ngx_ctx[RL_CONTEXT]
    if ctx == nil then
      ctx = {}
      ngx_ctx[RL_CONTEXT] = ctx
    end
    ctx[key] = value
  end,
  get_stored_response_header = function(ngx_ctx, key)
    local ctx = ngx_ctx[RL_CONTEXT]
    return ctx and ctx[key]
  end,
  apply_response_headers = function(ngx_ctx)
    local ctx = ngx_ctx[RL_CONTEXT]
    if ctx == nil then
      return
    end
    for k, v in pairs(ctx) do
      ngx.header[k] = tostring(v)
    end
  end,
}


-- days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil)
local function days_from_civil(y, m, d)
  if m <= 2 then
    y = y - 1
  end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end


local timestamp = {
  get_timestamps = function(now)
    local s = math.floor(now / 1000)
    local t = os.date("!*t", s)
    return {
      second = s * 1000,
      minute = (s - s % 60) * 1000,
      hour = (s - s % 3600) * 1000,
      day = (s - s % 86400) * 1000,
      month = days_from_civil(t.year, t.month, 1) * 86400 * 1000,
      year = days_from_civil(t.year, 1, 1) * 86400 * 1000,
    }
  end,
}
_M.timestamp = timestamp


local function from_source(root, path)
  local chunk = assert(loadfile(root .. "/" .. path))
  return chunk()
end


_M.kong_source = kong_source.root ~= nil


function _M.install()
  local root = kong_source.root
  package.loaded["kong.tools.timestamp"] = timestamp
  package.loaded["resty.redis"] = redis_fake
  if root then
    package.loaded["kong.plugins.rate-limiting.expiration"] =
      from_source(root, "kong/plugins/rate-limiting/expiration.lua")
    package.loaded["kong.pdk.private.rate_limiting"] = from_source(root, "kong/pdk/private/rate_limiting.lua")
  else
    package.loaded["kong.plugins.rate-limiting.expiration"] = EXPIRATION
    package.loaded["kong.pdk.private.rate_limiting"] = private_rl
  end
end


return _M
