-- A Redis connection for the counters, made as Kong 3.9.3's rate-limiting
-- makes it (kong/plugins/rate-limiting/policies/init.lua,
-- get_redis_connection): lua-resty-redis from the connection pool, AUTH
-- (through kong.vault.try, so a rotated vault secret is retried) and SELECT
-- only on a new connection, a pool of its own per non-zero database.

local redis = require "resty.redis"


local kong = kong
local null = ngx.null
local fmt = string.format
local setmetatable = setmetatable


local KEEPALIVE_MS = 10000  -- Kong's set_keepalive(10000, 100)
local POOL_SIZE = 100


local _M = {}


local function is_present(str)
  return str and str ~= "" and str ~= null
end


local function auth(red, cfg)
  return red:auth(cfg.username, cfg.password)
end


local function auth_password(red, cfg)
  return red:auth(cfg.password)
end


-- connect options per redis configuration (Kong's sock_opts)
local sock_opts = setmetatable({}, { __mode = "k" })


local function get_sock_opts(cfg)
  local opts = sock_opts[cfg]
  if opts then
    return opts
  end
  opts = {
    ssl = cfg.ssl,
    ssl_verify = cfg.ssl_verify,
    server_name = cfg.server_name,
  }
  -- the default pool (host:port) only for database 0
  if cfg.database ~= 0 then
    opts.pool = fmt("%s:%d;%d", cfg.host, cfg.port, cfg.database)
  end
  sock_opts[cfg] = opts
  return opts
end


local function fail(red, what, err)
  kong.log.err("failed to ", what, ": ", err)
  red:close()
  return nil, err
end


--- A connected lua-resty-redis client for `cfg` (a plugin's `config.redis`),
-- or nil, err (logged).
function _M.connect(cfg)
  local red = redis:new()
  red:set_timeout(cfg.timeout)

  local ok, err = red:connect(cfg.host, cfg.port, get_sock_opts(cfg))
  if not ok then
    kong.log.err("failed to connect to Redis: ", err)
    return nil, err
  end

  local times
  times, err = red:get_reused_times()
  if err then
    return fail(red, "get connect reused times", err)
  end
  if times > 0 then
    return red
  end

  if is_present(cfg.password) then
    local try = is_present(cfg.username) and auth or auth_password
    ok, err = kong.vault.try(function(c) return try(red, c) end, cfg)
    if not ok then
      return fail(red, "auth Redis", err)
    end
  end

  if cfg.database ~= 0 then
    ok, err = red:select(cfg.database)
    if not ok then
      return fail(red, "change Redis database", err)
    end
  end

  return red
end


--- Puts `red` back in its pool (as Kong: 10 s idle, 100 connections).
function _M.release(red)
  local ok, err = red:set_keepalive(KEEPALIVE_MS, POOL_SIZE)
  if not ok then
    kong.log.err("failed to set Redis keepalive: ", err)
  end
end


return _M
