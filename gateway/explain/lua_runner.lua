-- Runs the project's language-router plugin (the same handler.lua Kong loads)
-- on requests read from stdin, one JSON object per line, and writes one JSON
-- result per line: what the plugin decided and what it did to the request.
--
--   luajit lua_runner.lua <dir holding kong/plugins/language-router/>
--   in:  {"conf": "<plugin config as JSON>", "upstreams": [...], "method": "POST",
--         "path": "/api/v1/asr", "headers": {"name": ["v", ...]},
--         "query": {"name": ["v", ...]}, "body": "..." | null}
--   out: {"shared": kong.ctx.shared.language_router, "upstream": ..., "set_headers": {...},
--         "cleared": [...], "raw_body": ..., "calls": [...], "logs": [...], "error": ...}
--
-- The PDK here is a small, tolerant fake: the functions the plugin is known
-- to use behave as in Kong 3.9.3 (kong/pdk/request.lua, kong/pdk/service.lua,
-- kong/pdk/service/request.lua); any other kong.* / ngx.* function exists,
-- returns nil and is listed in `calls`, so a newer plugin still runs. A body
-- never spills to a file here (ngx.req.get_body_file() is nil) and every
-- upstream counts as healthy.

local cjson = require "cjson.safe"

local root = arg[1] or "lua"
package.path = root .. "/?.lua;" .. root .. "/?/init.lua;" .. package.path

-- Compiled chunks kept between runs: arguments after the root are "module=key=file" (lua_runner.py keys
-- each source by its path, size and mtime, one file per source). The plugin's language data is ~5 MB of
-- source that LuaJIT parses in ~0.1 s; the same chunk's bytecode (string.dump) loads in a quarter of
-- that. A file under another key, or one that does not load, is rebuilt from the source, so the code run
-- is always the source's.
local compiled = {}
for i = 2, #arg do
  local name, key, file = string.match(arg[i], "^([^=]+)=(%x+)=(.+)$")
  if name then
    compiled[name] = { key = key .. "\n", file = file }
  end
end

local function read_compiled(entry)
  local f = io.open(entry.file, "rb")
  if not f then
    return nil
  end
  local data = f:read("*a")
  f:close()
  if not data or string.sub(data, 1, #entry.key) ~= entry.key then
    return nil
  end
  return loadstring(string.sub(data, #entry.key + 1))
end

local function load_compiled(name)
  local entry = compiled[name]
  if not entry then
    return nil
  end
  local chunk = read_compiled(entry)
  if chunk then
    return chunk
  end
  local source = package.searchpath(name, package.path)
  chunk = source and loadfile(source)
  if not chunk then
    return nil  -- the next loader finds the source, or reports why not
  end
  local temporary = entry.file .. ".tmp"
  local out = io.open(temporary, "wb")
  if out then
    local written = out:write(entry.key, string.dump(chunk))
    out:close()
    if not (written and os.rename(temporary, entry.file)) then
      os.remove(temporary)
    end
  end
  return chunk
end

table.insert(package.loaders, 2, load_compiled)

local current

-- a table whose unknown members are callables that record the call and return nil
local function tolerant(name)
  return setmetatable({}, {
    __index = function(t, k)
      local child = tolerant(name .. "." .. tostring(k))
      rawset(t, k, child)
      return child
    end,
    __call = function(_, ...)
      if current then
        local args = {}
        for i = 1, select("#", ...) do
          local v = select(i, ...)
          args[i] = type(v) == "string" and v or tostring(v)
        end
        current.calls[#current.calls + 1] = { name = name, args = args }
      end
      return nil
    end,
  })
end


local function first(t, name)
  local v = t[name]
  if type(v) == "table" then
    return v[1]
  end
  return v
end


local kong = tolerant("kong")
local ngx_fake = tolerant("ngx")

ngx_fake.null = cjson.null
ngx_fake.var = {}
ngx_fake.ctx = {}
for _, level in ipairs({ "DEBUG", "INFO", "NOTICE", "WARN", "ERR", "CRIT", "ALERT", "EMERG" }) do
  ngx_fake[level] = level
end
ngx_fake.now = os.time
ngx_fake.time = os.time
ngx_fake.req.get_body_file = function() return nil end
-- every header, names in lower case (what the request gave); the handler
-- clears the ones it owns under any spelling (ngx.req.get_headers(0, true))
ngx_fake.req.get_headers = function() return current and current.headers or {} end
ngx_fake.req.read_body = function() end
-- as ngx_http_lua_req_body.c (lua-nginx-module 0.10.26): nil for no or an
-- empty body, the first `max_bytes` when given
ngx_fake.req.get_body_data = function(max_bytes)
  local body = current and current.body
  if not body or body == "" then
    return nil
  end
  if max_bytes and max_bytes > 0 and #body > max_bytes then
    return string.sub(body, 1, max_bytes)
  end
  return body
end

-- per-worker caches (ngx.shared.<dict>) keep values for the run
ngx_fake.shared = setmetatable({}, {
  __index = function(t, dict)
    local store = {}
    local d = {
      get = function(_, k) return store[k] end,
      set = function(_, k, v) store[k] = v; return true end,
      add = function(_, k, v) if store[k] == nil then store[k] = v; return true end; return false, "exists" end,
      incr = function(_, k, by, init) store[k] = (store[k] or init or 0) + by; return store[k] end,
      delete = function(_, k) store[k] = nil end,
    }
    rawset(t, dict, d)
    return d
  end,
})


kong.request.get_header = function(name)
  return first(current.headers, string.lower(name))
end
kong.request.get_headers = function()
  return current.headers
end
kong.request.get_query_arg = function(name)
  return first(current.query, name)
end
kong.request.get_query = function()
  return current.query
end
kong.request.get_method = function()
  return current.method
end
kong.request.get_path = function()
  return current.path
end
kong.request.get_raw_body = function()
  return current.body or ""
end

kong.service.set_upstream = function(host)
  if type(host) ~= "string" then
    error("host must be a string", 2)
  end
  if not current.upstreams[host] then
    return nil, "could not find an Upstream named '" .. host .. "'"
  end
  current.out.upstream = host
  return true
end
kong.service.request.set_header = function(name, value)
  current.out.set_headers[name] = type(value) == "table" and value or tostring(value)
end
kong.service.request.clear_header = function(name)
  current.out.set_headers[name] = nil
  current.out.cleared[#current.out.cleared + 1] = name
end
kong.service.request.set_raw_body = function(body)
  current.out.raw_body = body
end

for _, level in ipairs({ "debug", "info", "notice", "warn", "err", "crit", "alert", "emerg" }) do
  kong.log[level] = function(...)
    local parts = {}
    for i = 1, select("#", ...) do
      parts[i] = tostring((select(i, ...)))
    end
    current.out.logs[#current.out.logs + 1] = level .. ": " .. table.concat(parts)
  end
end

setmetatable(kong.ctx, {
  __index = function(_, k)
    if k == "shared" or k == "plugin" then
      return current[k]
    end
  end,
})

-- Kong's balancer: every upstream named in the spec is there and healthy
local balancer = tolerant("kong.runloop.balancer")
balancer.get_upstream_by_name = function(name)
  if current and current.upstreams[name] then
    return { id = name, name = name }
  end
end
balancer.get_balancer_health = function(id)
  return { id = id, health = "HEALTHY" }
end
balancer.get_upstream_health = function()
  return {}
end
package.loaded["kong.runloop.balancer"] = balancer
package.loaded["kong.runloop.balancer.upstreams"] = balancer

rawset(_G, "kong", kong)
rawset(_G, "ngx", ngx_fake)

local ok_load, handler = pcall(require, "kong.plugins.language-router.handler")

local confs = {}


local function lower_keys(t)
  local out = {}
  for k, v in pairs(t or {}) do
    out[string.lower(k)] = v
  end
  return out
end


local function run(msg)
  local conf = confs[msg.conf]
  if not conf then
    conf = assert(cjson.decode(msg.conf))
    confs[msg.conf] = conf
  end

  local ups = {}
  for _, name in ipairs(msg.upstreams or {}) do
    ups[name] = true
  end

  local body = msg.body
  if body == cjson.null then
    body = nil
  end

  local out = { set_headers = {}, cleared = {}, logs = {} }
  current = {
    method = msg.method or "GET",
    path = msg.path or "/",
    headers = lower_keys(msg.headers),
    query = msg.query or {},
    body = body,
    upstreams = ups,
    shared = {},
    plugin = {},
    calls = {},
    out = out,
  }

  handler:access(conf)
  out.shared = current.shared.language_router or cjson.null
  out.calls = current.calls
  return out
end


for line in io.lines() do
  local out
  local msg = cjson.decode(line)
  if not ok_load then
    out = { error = "could not load the plugin: " .. tostring(handler) }
  elseif type(msg) ~= "table" then
    out = { error = "bad request line" }
  else
    local ok, res = pcall(run, msg)
    out = ok and res or { error = tostring(res) }
  end
  local text = cjson.encode(out) or '{"error":"result not encodable"}'
  io.write(text, "\n")
  io.flush()
end
