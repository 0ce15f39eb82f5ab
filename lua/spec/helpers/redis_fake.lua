-- A fake of lua-resty-redis (resty/redis.lua 0.x as Kong 3.9.3 ships it) and
-- of a Redis server behind it, the parts the counters use:
--   redis:new()                        -> a client
--   red:set_timeout(ms)
--   red:connect(host, port, opts)      -> 1 | nil, "connection refused" (server
--                                         `down`); the pool is opts.pool or
--                                         "host:port" (ngx.socket.tcp connect)
--   red:get_reused_times()             -> times the connection came from its pool
--   red:auth(...), red:select(db)      -> "OK" | nil, err
--   red:eval(script, numkeys, ...)     -> the script's reply | nil, err: the
--                                         script runs here as Redis runs it:
--                                         KEYS / ARGV (arguments sent as
--                                         strings), redis.call (get -> false
--                                         when absent, incr, expire); its reply
--                                         converted as Redis converts a Lua
--                                         value (number -> integer, table ->
--                                         array up to the first nil, false -> nil)
--   red:set_keepalive(idle_ms, size)   -> 1 (the connection back in its pool)
--   red:close()                        -> 1
-- `server.calls` lists every command sent ({ "eval", ... }), `server.data`
-- and `server.ttl` the keys; `server.down = true` refuses connections;
-- `server.reply_error = "ERR ..."` answers the next command with an error.

local _M = {}


local function new_server()
  return { data = {}, ttl = {}, calls = {}, pools = {}, keepalives = {}, down = false }
end

_M.server = new_server()


function _M.reset()
  _M.server = new_server()
end


local Client = {}
Client.__index = Client


function _M.new()
  return setmetatable({}, Client)
end


function Client:set_timeout(ms)
  self.timeout = ms
end


function Client:connect(host, port, opts)
  if type(host) ~= "string" then
    error("bad argument #1 host: string expected, got " .. type(host), 2)
  end
  local server = _M.server
  if server.down then
    return nil, "connection refused"
  end
  local pool = opts and opts.pool or (host .. ":" .. tostring(port))
  self.pool = pool
  self.opts = opts
  local idle = server.pools[pool] or 0
  if idle > 0 then
    server.pools[pool] = idle - 1
    self.reused = 1
  else
    self.reused = 0
  end
  self.connected = true
  return 1
end


function Client:get_reused_times()
  if not self.connected then
    return nil, "closed"
  end
  return self.reused
end


local function send(self, cmd, ...)
  if not self.connected then
    return nil, "closed"
  end
  local server = _M.server
  server.calls[#server.calls + 1] = { cmd, ... }
  if server.reply_error then
    local err = server.reply_error
    server.reply_error = nil
    return false, err
  end
  return true
end


function Client:auth(...)
  local ok, err = send(self, "auth", ...)
  if not ok then
    return ok, err
  end
  return "OK"
end


function Client:select(db)
  local ok, err = send(self, "select", db)
  if not ok then
    return ok, err
  end
  return "OK"
end


-- a Lua value of a script as its Redis reply, read back by lua-resty-redis
local function reply(v)
  if type(v) == "number" then
    return v >= 0 and math.floor(v) or math.ceil(v)
  elseif type(v) == "table" then
    local out = {}
    local i = 1
    while v[i] ~= nil do
      out[i] = reply(v[i])
      i = i + 1
    end
    return out
  elseif v == false or v == nil then
    return ngx.null
  end
  return v
end


local function call(cmd, ...)
  local server = _M.server
  local key = ...
  local at = server.ttl[key]
  if at and at <= ngx.now() then
    server.data[key], server.ttl[key] = nil, nil
  end
  cmd = cmd:lower()
  if cmd == "get" then
    local v = server.data[key]
    if v == nil then
      return false
    end
    return tostring(v)
  elseif cmd == "incr" then
    local v = tonumber(server.data[key] or 0)
    if not v or v % 1 ~= 0 then
      error("ERR value is not an integer or out of range")
    end
    server.data[key] = v + 1
    return v + 1
  elseif cmd == "expire" then
    if server.data[key] == nil then
      return 0
    end
    server.ttl[key] = ngx.now() + tonumber((select(2, ...)))
    return 1
  end
  error("ERR unknown command '" .. cmd .. "' in the fake")
end


function Client:eval(script, numkeys, ...)
  local ok, err = send(self, "eval", script, numkeys, ...)
  if not ok then
    return nil, err
  end
  local keys, argv = {}, {}
  local n = select("#", ...)
  for i = 1, n do
    local v = tostring((select(i, ...)))
    if i <= numkeys then
      keys[i] = v
    else
      argv[i - numkeys] = v
    end
  end
  local chunk = assert(loadstring(script, "=script"))
  setfenv(chunk, {
    KEYS = keys, ARGV = argv, redis = { call = call },
    tonumber = tonumber, tostring = tostring, type = type,
  })
  local done, result = pcall(chunk)
  if not done then
    return nil, tostring(result)
  end
  return reply(result)
end


function Client:set_keepalive(idle_ms, size)
  local server = _M.server
  server.keepalives[#server.keepalives + 1] = { idle_ms, size }
  server.pools[self.pool] = (server.pools[self.pool] or 0) + 1
  self.connected = false
  return 1
end


function Client:close()
  self.connected = false
  return 1
end


return _M
