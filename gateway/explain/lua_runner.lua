-- Runs the project's language-router plugin (the same handler.lua Kong loads)
-- on requests read from stdin, one JSON object per line, and writes one JSON
-- result per line: what the plugin decided and what it did to the request.
--
--   luajit lua_runner.lua <dir holding kong/plugins/language-router/> <lua/spec> [chunks...]
--   in:  {"conf": "<plugin config as JSON>", "upstreams": [...], "method": "POST",
--         "path": "/api/v1/asr", "headers": {"name": ["v", ...]},
--         "query": {"name": ["v", ...]}, "body": "..." | null}
--   out: {"shared": kong.ctx.shared.language_router, "upstream": ..., "set_headers": {...},
--         "cleared": [...], "raw_body": ..., "logs": [...], "error": ...}
--
-- The PDK is the one the busted specs use (lua/spec/helpers/pdk_fake.lua,
-- shaped like Kong 3.9.3's kong/pdk/), with Kong's balancer faked by
-- helpers/balancer_fake.lua: every upstream of the spec has one healthy
-- target. A function Kong's PDK has and the fake lacks is an error of the
-- request, not a silent nil. A body never spills to a file here.

local cjson = require "cjson.safe"

local root = arg[1] or "lua"
local specs = arg[2] or (root .. "/spec")
package.path = root .. "/?.lua;" .. root .. "/?/init.lua;" .. specs .. "/?.lua;" .. package.path

-- Compiled chunks kept between runs: arguments after the root are "module=key=file" (lua_runner.py keys
-- each source by its path, size and mtime, one file per source). The plugin's language data is ~5 MB of
-- source that LuaJIT parses in ~0.1 s; the same chunk's bytecode (string.dump) loads in a quarter of
-- that. A file under another key, or one that does not load, is rebuilt from the source, so the code run
-- is always the source's.
local compiled = {}
for i = 3, #arg do
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

local fake = require "helpers.pdk_fake"
local balancer = require "helpers.balancer_fake"
fake.install()

local ok_load, handler = pcall(require, "kong.plugins.language-router.handler")

local confs = {}


-- {"name": ["v", ...]} as the PDK returns it: a string, or an array when repeated
local function values(t)
  local out = {}
  for k, v in pairs(t or {}) do
    out[k] = #v == 1 and v[1] or v
  end
  return out
end


local installed_upstreams


-- Kong's balancer for the spec's upstreams, each with one healthy target
local function install_upstreams(names)
  local key = table.concat(names or {}, "\n")
  if key == installed_upstreams then
    return
  end
  local ups = {}
  for i, name in ipairs(names or {}) do
    ups[i] = { name = name, targets = { { name = name .. ".target", port = 80, weight = 100, healthy = true } } }
  end
  balancer.install(ups)
  installed_upstreams = key
end


local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do
    out[#out + 1] = k
  end
  table.sort(out)
  return out
end


local function run(msg)
  local conf = confs[msg.conf]
  if not conf then
    conf = assert(cjson.decode(msg.conf))
    confs[msg.conf] = conf
  end

  local body = msg.body
  if body == cjson.null then
    body = nil
  end

  install_upstreams(msg.upstreams)
  local rec = fake.request({
    uri = msg.path or "/",
    headers = values(msg.headers),
    query = values(msg.query),
    body = body,
    upstreams = msg.upstreams,
  })

  handler:access(conf)

  local set_headers = {}
  for name, value in pairs(rec.service_headers) do
    if name ~= "content-length" or rec.raw_body == nil then  -- set_raw_body's own
      set_headers[rec.names[name] or name] = value  -- as spelt by the plugin (or the client, first)
    end
  end
  local logs = {}
  for i, l in ipairs(rec.logs) do
    logs[i] = l.level .. ": " .. l.line
  end
  return {
    shared = rec.shared.language_router or cjson.null,
    upstream = rec.upstream,
    set_headers = set_headers,
    cleared = sorted_keys(rec.cleared),
    raw_body = rec.raw_body,
    logs = logs,
  }
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
