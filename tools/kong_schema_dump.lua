#!/usr/bin/env luajit
-- Dump a DATA snapshot of Kong Gateway's schema definitions as JSON.
--
-- Usage:
--   luajit tools/kong_schema_dump.lua /path/to/kong-source [kong-version] > tests/kong_schema/kong-3.9.3.json
--
-- It loads Kong's real schema definition files (core entities, the credential
-- DAOs of key-auth / jwt / acl, and the schemas of the plugins listed below) and
-- Kong's real `kong/db/schema/typedefs.lua` + `kong/db/schema/init.lua`, with
-- minimal stubs for modules that only matter at request time (ngx, resty.*,
-- penlight, socket.url, ...). No Kong code is copied: the output is data only
-- (field names, types, defaults, enums, bounds, patterns, entity checks).
-- Functions (custom_validator, custom_entity_check.fn, shorthand func, ...)
-- cannot be serialised; they are recorded as {"$function": name, "source": file:line}.
--
-- Everything is dumped with kong.configuration.database = "postgres" (DB mode);
-- the schemas are then reloaded with database = "off" and every field that differs
-- is recorded under "dbless_overrides" (e.g. rate-limiting config.policy.one_of).

local KONG = assert(arg[1], "usage: luajit kong_schema_dump.lua /path/to/kong-source [version]")
KONG = KONG:gsub("/+$", "")
local KONG_VERSION = arg[2] or "3.9.3"
-- `--plugin NAME DIR`: dump only the custom plugin NAME found under DIR (e.g. lua/), for the checker.
local CUSTOM_PLUGIN, CUSTOM_DIR
if arg[3] == "--plugin" then
  CUSTOM_PLUGIN, CUSTOM_DIR = assert(arg[4], "--plugin needs NAME"), assert(arg[5], "--plugin needs DIR")
end
local ROUTER_FLAVOR = "traditional_compatible" -- kong.conf.default in 3.9.x

local cjson = require "cjson"
local NULL = cjson.null

package.path = KONG .. "/?.lua;" .. KONG .. "/?/init.lua;" .. package.path
if CUSTOM_DIR then
  package.path = CUSTOM_DIR .. "/?.lua;" .. package.path
end

------------------------------------------------------------------------------
-- stubs
------------------------------------------------------------------------------

local stub_names = setmetatable({}, { __mode = "k" })

local function make_stub(name)
  local obj = {}
  stub_names[obj] = name
  return setmetatable(obj, {
    __index = function(t, k)
      local child = make_stub(name .. "." .. tostring(k))
      rawset(t, k, child)
      return child
    end,
    __call = function() return nil end,
  })
end

-- Modules whose real code is only needed at request time (or pulls in
-- OpenResty-only libraries): replaced by named stubs. Every module that is
-- neither in Kong's source tree nor in LuaJIT also becomes a stub.
local FORCE_STUB = {
  ["kong.tools.http"] = true,
  ["kong.tools.ip"] = true,
  ["kong.tools.string"] = true,
  ["kong.tools.uri"] = true,
  ["kong.tools.yield"] = true,
  ["kong.tools.rand"] = true,
  ["kong.tools.uuid"] = true,
  ["kong.tools.sandbox"] = true,
  ["kong.tools.module"] = true,
  ["kong.deprecation"] = true,
  ["kong.pdk.vault"] = true,
  ["kong.db.schema.json"] = true,
  ["kong.router.transform"] = true,
  ["kong.router.atc"] = true,
  ["kong.observability.tracing.propagation.schema"] = true,
}

local function stub_searcher(name)
  return function() return make_stub(name) end
end

local searchers = package.loaders  -- LuaJIT (Lua 5.1) name
table.insert(searchers, 1, function(name)
  if FORCE_STUB[name] then
    return stub_searcher(name)
  end
  return nil
end)
table.insert(searchers, stub_searcher) -- last resort: anything not found

-- OpenResty's LuaJIT table extensions, used while building the schema tables
package.preload["table.clone"] = function()
  return function(t)
    local c = {}
    for k, v in pairs(t) do c[k] = v end
    return c
  end
end
package.preload["table.nkeys"] = function()
  return function(t)
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    return n
  end
end

_G.ngx = make_stub("ngx")
rawset(_G.ngx, "null", NULL)
_G.kong = {
  configuration = {
    database = "postgres",
    role = "traditional",
    router_flavor = ROUTER_FLAVOR,
  },
  vault = make_stub("kong.vault"),
  log = make_stub("kong.log"),
}

------------------------------------------------------------------------------
-- function naming
------------------------------------------------------------------------------

local file_lines = {}
local function source_line(path, n)
  local lines = file_lines[path]
  if not lines then
    lines = {}
    local fh = io.open(path, "r")
    if fh then
      for l in fh:lines() do lines[#lines + 1] = l end
      fh:close()
    end
    file_lines[path] = lines
  end
  return lines[n]
end

local function describe_function(fn)
  local info = debug.getinfo(fn, "S")
  local src = info.source or "?"
  local path = src:sub(1, 1) == "@" and src:sub(2) or src
  local rel = path
  if rel:sub(1, #KONG + 1) == KONG .. "/" then rel = rel:sub(#KONG + 2) end
  local name = "<anonymous>"
  local line = info.linedefined and source_line(path, info.linedefined)
  if line then
    name = line:match("function%s+([%w_%.:]+)%s*%(")
        or line:match("([%w_%.]+)%s*=%s*function")
        or name
  end
  return { ["$function"] = name, source = rel .. ":" .. tostring(info.linedefined) }
end

------------------------------------------------------------------------------
-- serialisation to a plain data tree
------------------------------------------------------------------------------

local EMPTY_OBJECT = setmetatable({}, { __name = "EMPTY_OBJECT" })
local typedef_names = {}

local function is_sequence(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

local ser

local function ser_fields(list, stack)
  local out = {}
  for i = 1, #list do
    local name, def = next(list[i])
    local f = ser(def, stack)
    if type(f) ~= "table" or f == EMPTY_OBJECT then f = {} end
    f.name = name
    out[#out + 1] = f
  end
  return out
end

ser = function(v, stack)
  stack = stack or {}
  local tv = type(v)
  if v == NULL then
    return NULL
  elseif tv == "function" then
    return describe_function(v)
  elseif tv == "table" then
    if stub_names[v] then
      return { ["$function"] = stub_names[v], source = "(stubbed module, not loaded)" }
    end
    if stack[v] then
      return { ["$cycle"] = true }
    end
    stack[v] = true
    local out
    if next(v) == nil then
      out = {}
    elseif is_sequence(v) then
      out = {}
      for i = 1, #v do out[i] = ser(v[i], stack) end
    else
      out = {}
      for k, x in pairs(v) do
        if k == "description" then  -- luacheck: ignore 542
          -- documentation text: not needed for validation
        elseif (k == "fields" or k == "shorthand_fields") and type(x) == "table" then
          out[k] = ser_fields(x, stack)
        else
          out[tostring(k)] = ser(x, stack)
        end
      end
      if typedef_names[v] then
        out["$typedef"] = typedef_names[v]
      end
      -- empty-table defaults of maps/records are objects, not arrays
      if type(v.default) == "table" and next(v.default) == nil
         and (v.type == "map" or v.type == "record") then
        out.default = EMPTY_OBJECT
      end
    end
    stack[v] = nil
    return out
  elseif tv == "number" or tv == "string" or tv == "boolean" then
    return v
  else
    return { ["$" .. tv] = tostring(v) }
  end
end

------------------------------------------------------------------------------
-- deterministic JSON encoder (sorted keys, one item per line)
------------------------------------------------------------------------------

local function encode_number(n)
  if n ~= n or n == math.huge or n == -math.huge then
    error("cannot encode non-finite number")
  end
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then
    return string.format("%d", n)
  end
  return string.format("%.17g", n)
end

local function encode(v, indent, buf)
  indent = indent or ""
  if v == NULL or v == nil then
    buf[#buf + 1] = "null"
  elseif v == EMPTY_OBJECT then
    buf[#buf + 1] = "{}"
  elseif type(v) == "boolean" then
    buf[#buf + 1] = tostring(v)
  elseif type(v) == "number" then
    buf[#buf + 1] = encode_number(v)
  elseif type(v) == "string" then
    buf[#buf + 1] = (cjson.encode(v):gsub("\\/", "/"))
  elseif type(v) == "table" then
    local inner = indent .. " "
    if next(v) == nil then
      buf[#buf + 1] = "[]"
    elseif is_sequence(v) then
      buf[#buf + 1] = "[\n"
      for i = 1, #v do
        buf[#buf + 1] = inner
        encode(v[i], inner, buf)
        buf[#buf + 1] = i < #v and ",\n" or "\n"
      end
      buf[#buf + 1] = indent .. "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      buf[#buf + 1] = "{\n"
      for i, k in ipairs(keys) do
        buf[#buf + 1] = inner .. (cjson.encode(k):gsub("\\/", "/")) .. ": "
        encode(v[k], inner, buf)
        buf[#buf + 1] = i < #keys and ",\n" or "\n"
      end
      buf[#buf + 1] = indent .. "}"
    end
  else
    error("cannot encode " .. type(v))
  end
  return buf
end

local function to_json(v)
  return table.concat(encode(v, "", {}))
end

------------------------------------------------------------------------------
-- what to dump
------------------------------------------------------------------------------

local CORE = {
  "services", "routes", "upstreams", "targets", "consumers", "plugins",
  "certificates", "snis", "ca_certificates",
}

local PLUGINS = {
  "key-auth", "jwt", "acl", "cors", "rate-limiting", "request-transformer",
  "response-transformer", "correlation-id", "prometheus", "file-log",
  "http-log", "ip-restriction", "request-size-limiting", "proxy-cache",
  "request-termination", "bot-detection",
}

local DAO_PLUGINS = { "key-auth", "jwt", "acl" }

local ENTITY_META = {
  "name", "primary_key", "endpoint_key", "cache_key", "workspaceable",
  "subschema_key", "subschema_error", "ttl", "generate_admin_api",
  "admin_api_name", "admin_api_nested_name", "transformations", "check",
  "shorthand_fields", "entity_checks", "fields", "db_export", "dao",
}

local function unload(prefix)
  for name in pairs(package.loaded) do
    if name:sub(1, #prefix) == prefix then package.loaded[name] = nil end
  end
end

-- the entity-level parts of a schema definition, added to `e`
local function ser_entity(def, e)
  for _, k in ipairs(ENTITY_META) do
    if def[k] ~= nil then
      if k == "fields" or k == "shorthand_fields" then
        e[k] = ser_fields(def[k])
      else
        e[k] = ser(def[k])
      end
    end
  end
  return e
end


local function load_all(database)
  kong.configuration.database = database
  unload("kong.plugins.")
  unload("kong.db.schema.entities.")
  unload("kong.tools.redis.schema")

  local typedefs = require "kong.db.schema.typedefs"
  for k, t in pairs(typedefs) do
    if type(t) == "table" then typedef_names[t] = k end
  end

  local out = { entities = {}, plugins = {} }

  for _, name in ipairs(CORE) do
    local def = require("kong.db.schema.entities." .. name)
    local e = ser_entity(def, {})
    local ok, subs = pcall(require, "kong.db.schema.entities." .. name .. "_subschemas")
    if ok and type(subs) == "table" and not stub_names[subs] then
      e.subschemas = {}
      for sname, sdef in pairs(subs) do
        e.subschemas[sname] = ser(sdef)
      end
    end
    out.entities[name] = e
  end

  -- upstreams.lua builds the healthchecks record with pairs(): its field order
  -- is not stable between runs, so sort that subtree by field name.
  local function sort_fields(f)
    if f.fields then
      table.sort(f.fields, function(x, y) return x.name < y.name end)
      for _, sub in ipairs(f.fields) do sort_fields(sub) end
    end
  end
  for _, f in ipairs(out.entities.upstreams.fields) do
    if f.name == "healthchecks" then sort_fields(f) end
  end

  for _, plugin in ipairs(DAO_PLUGINS) do
    local daos = require("kong.plugins." .. plugin .. ".daos")
    for _, def in ipairs(daos) do
      local e = ser_entity(def, { plugin = plugin })
      out.entities[def.name] = e
    end
  end

  for _, plugin in ipairs(PLUGINS) do
    out.plugins[plugin] = ser(require("kong.plugins." .. plugin .. ".schema"))
  end

  return out
end

------------------------------------------------------------------------------
-- DB-less overrides: field-level diff between the two loads
------------------------------------------------------------------------------

local function diff_fields(a, b, path, acc)
  local by_name = {}
  for _, f in ipairs(a or {}) do by_name[f.name] = f end
  for _, fb in ipairs(b or {}) do
    local fa = by_name[fb.name]
    local p = path == "" and fb.name or (path .. "." .. fb.name)
    if not fa or to_json(fa) ~= to_json(fb) then
      if fa and fa.type == "record" and fb.type == "record" then
        local fa2, fb2 = {}, {}
        for k, x in pairs(fa) do if k ~= "fields" then fa2[k] = x end end
        for k, x in pairs(fb) do if k ~= "fields" then fb2[k] = x end end
        if to_json(fa2) == to_json(fb2) then
          diff_fields(fa.fields, fb.fields, p, acc)
        else
          acc[p] = fb
        end
      else
        acc[p] = fb
      end
    end
  end
end

local function diff_schema(a, b)
  local acc = {}
  diff_fields(a.fields, b.fields, "", acc)
  if to_json(a.entity_checks or {}) ~= to_json(b.entity_checks or {}) then
    acc["@entity_checks"] = b.entity_checks or {}
  end
  if next(acc) then return acc end
  return nil
end

------------------------------------------------------------------------------
-- declarative config: top-level meta fields, read from Kong's source
------------------------------------------------------------------------------

local function declarative_meta()
  local path = KONG .. "/kong/db/schema/others/declarative_config.lua"
  local fh = assert(io.open(path, "r"))
  local src = fh:read("*a")
  fh:close()
  local fields = {}
  local function add(name, pattern)
    local lit = src:match(pattern)
    assert(lit, "could not find " .. name .. " in declarative_config.lua")
    local f = ser(assert(load("return " .. lit))())
    f.name = name
    fields[#fields + 1] = f
  end
  -- `{ _format_version = { ... } },` and `{ _transform = { ... } },`
  for name in ("_format_version _transform"):gmatch("%S+") do
    add(name, "{%s*" .. name .. "%s*=%s*(%b{})%s*}")
  end
  -- add_extra_attributes(): `_comment = { type = "string", }` / `_ignore = {...}`
  for name in ("_comment _ignore"):gmatch("%S+") do
    add(name, name .. "%s*=%s*(%b{})")
  end
  return fields
end

------------------------------------------------------------------------------
-- main
------------------------------------------------------------------------------

if CUSTOM_PLUGIN then
  -- FNV-1a of the schema file, so a test can tell when this dump is stale.
  local bit = require "bit"
  local f = assert(io.open(CUSTOM_DIR .. "/kong/plugins/" .. CUSTOM_PLUGIN .. "/schema.lua", "rb"))
  local text = f:read("*a")
  f:close()
  local function u32(x) return x < 0 and x + 4294967296 or x end
  local h = 2166136261
  for i = 1, #text do
    h = u32(bit.bxor(h, text:byte(i)))
    h = (h * 403 + u32(bit.lshift(h, 24))) % 4294967296  -- h * 16777619 mod 2^32, exact in doubles
  end
  kong.configuration.database = "postgres"
  local typedefs = require "kong.db.schema.typedefs"
  for k, t in pairs(typedefs) do
    if type(t) == "table" then typedef_names[t] = k end
  end
  io.write(to_json({
    ["$comment"] = "Schema of our own plugin as Kong loads it; generated by tools/kong_schema_dump.lua --plugin.",
    kong_version = KONG_VERSION,
    schema_fnv1a = string.format("%08x", h % 4294967296),
    plugins = { [CUSTOM_PLUGIN] = ser(require("kong.plugins." .. CUSTOM_PLUGIN .. ".schema")) },
  }), "\n")
  os.exit(0)
end

local db = load_all("postgres")
local dbless = load_all("off")

local overrides = { plugins = {}, entities = {} }
for name, s in pairs(db.plugins) do
  overrides.plugins[name] = diff_schema(s, dbless.plugins[name])
end
for name, s in pairs(db.entities) do
  overrides.entities[name] = diff_schema(s, dbless.entities[name])
end

local constants = require "kong.constants"

local core_order = {}
local wanted = {}
for _, n in ipairs(CORE) do wanted[n] = true end
for _, n in ipairs(constants.CORE_ENTITIES) do
  if wanted[n] then core_order[#core_order + 1] = n end
end
for _, p in ipairs(DAO_PLUGINS) do
  for _, def in ipairs(require("kong.plugins." .. p .. ".daos")) do
    core_order[#core_order + 1] = def.name
  end
end

for k, t in pairs(overrides) do
  if next(t) == nil then overrides[k] = EMPTY_OBJECT end
end

local snapshot = {
  ["$comment"] = "Data snapshot of Kong Gateway schemas, generated by tools/kong_schema_dump.lua. Do not edit by hand.",
  kong_version = KONG_VERSION,
  kong_configuration = {
    router_flavor = ROUTER_FLAVOR,
    database = "postgres (base); 'off' differences under dbless_overrides",
    role = "traditional",
  },
  constants = {
    PROTOCOLS = ser(constants.PROTOCOLS),
    PROTOCOLS_WITH_SUBSYSTEM = ser(constants.PROTOCOLS_WITH_SUBSYSTEM),
    CORE_ENTITIES = ser(constants.CORE_ENTITIES),
    DAO_MAX_TTL = constants.DATABASE.DAO_MAX_TTL,
  },
  entities = db.entities,
  plugins = db.plugins,
  dbless_overrides = overrides,
  declarative = {
    entity_order = core_order,
    meta_fields = declarative_meta(),
  },
}

io.write(to_json(snapshot), "\n")
