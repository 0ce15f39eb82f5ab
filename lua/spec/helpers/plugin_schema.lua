-- Our plugins' schema.lua (the only definition of their configuration) as
-- data, for the checks of every copy: the Python models, the docs' tables,
-- the specs' default configurations (pdk_fake.config).
--
-- Loaded two ways (the second also for Kong's bundled plugins):
--  * everywhere (plain LuaJIT): with a stub of the Kong typedefs the schemas
--    use (kong/db/schema/typedefs.lua: no_consumer, protocols_http,
--    header_name, path, and host, port, timeout, sni through
--    kong/tools/redis/schema.lua, also stubbed);
--  * with Kong (`resty`, a Kong install's Lua path): by Kong's own loader,
--    kong/db/schema/plugin_loader.lua load_subschema (MetaSubSchema check,
--    Entity.new_subschema), as Kong loads a plugin at start.
-- tests/test_plugin_schemas.py compares both, and every copy, field by field.
--
-- As a script: `luajit spec/helpers/plugin_schema.lua NAME` prints the
-- config fields of NAME as JSON; `resty ... --kong NAME` through Kong.

local cjson = require "cjson"

local _M = {}

-- Schema.define (kong/db/schema/init.lua): a typedef is callable, its
-- argument's attributes over the typedef's own
local function define(t)
  return setmetatable(t, {
    __call = function(self, arg)
      local out = {}
      for k, v in pairs(arg or {}) do out[k] = v end
      for k, v in pairs(self) do
        if out[k] == nil then out[k] = v end
      end
      return out
    end,
  })
end

local function validated()
  return true
end

-- kong/db/schema/typedefs.lua: the attributes the checks compare (the
-- validators stand in for Kong's)
local STUB_TYPEDEFS = {
  no_consumer = { type = "foreign", reference = "consumers" },
  protocols_http = { type = "set", required = true, default = { "grpc", "grpcs", "http", "https" },
                     elements = { type = "string", one_of = { "grpc", "grpcs", "http", "https" } } },
  header_name = define({ type = "string", custom_validator = validated }),
  path = define({ type = "string", starts_with = "/", custom_validator = validated }),
  host = define({ type = "string", custom_validator = validated }),
  port = define({ type = "integer", between = { 0, 65535 } }),
  timeout = define({ type = "integer", between = { 0, math.pow(2, 31) - 2 } }),
  sni = define({ type = "string", custom_validator = validated }),
}

-- kong/tools/redis/schema.lua's config_schema (the `redis` record of
-- rate-limiting and rate-limiting-inline), on the stub typedefs
local STUB_REDIS_SCHEMA = {
  config_schema = {
    type = "record",
    fields = {
      { host = STUB_TYPEDEFS.host },
      { port = STUB_TYPEDEFS.port({ default = 6379 }) },
      { timeout = STUB_TYPEDEFS.timeout({ default = 2000 }) },
      { username = { type = "string", referenceable = true } },
      { password = { type = "string", encrypted = true, referenceable = true, len_min = 0 } },
      { database = { type = "integer", default = 0 } },
      { ssl = { type = "boolean", required = false, default = false } },
      { ssl_verify = { type = "boolean", required = false, default = false } },
      { server_name = STUB_TYPEDEFS.sni({ required = false }) },
    },
  },
}

_M.typedefs = STUB_TYPEDEFS

local ATTRIBUTES = { "type", "required", "default", "one_of", "between", "gt", "len_min", "referenceable" }


local function module_of(name)
  return "kong.plugins." .. name .. ".schema"
end


-- kong/db/schema/entity.lua make_records_required (Entity.new_subschema):
-- a record field that does not say `required` is required, at any depth
local function make_records_required(field)
  if field.required == nil then
    field.required = true
  end
  for _, f in ipairs(field.fields or {}) do
    local _, def = next(f)
    if def.type == "record" then
      make_records_required(def)
    end
  end
end


--- schema.lua of plugin `name`, loaded with the stub typedefs, its records
-- made required as Kong's plugin loader makes them.
function _M.load_stub(name)
  local saved = package.loaded["kong.db.schema.typedefs"]
  local saved_redis = package.loaded["kong.tools.redis.schema"]
  package.loaded["kong.db.schema.typedefs"] = STUB_TYPEDEFS
  package.loaded["kong.tools.redis.schema"] = STUB_REDIS_SCHEMA
  package.loaded[module_of(name)] = nil
  local ok, schema = pcall(require, module_of(name))
  package.loaded[module_of(name)] = nil
  package.loaded["kong.db.schema.typedefs"] = saved
  package.loaded["kong.tools.redis.schema"] = saved_redis
  assert(ok, schema)
  make_records_required(schema)
  schema.required = nil
  return schema
end


--- schema.lua of plugin `name` as Kong's plugin loader makes it (needs Kong's modules).
function _M.load_kong(name)
  local Entity = require "kong.db.schema.entity"
  local Errors = require "kong.db.errors"
  local plugin_loader = require "kong.db.schema.plugin_loader"
  for _, entity in ipairs({ "consumers", "certificates", "ca_certificates", "services", "routes" }) do
    assert(Entity.new(require("kong.db.schema.entities." .. entity)))
  end
  local Plugins = assert(Entity.new(require "kong.db.schema.entities.plugins"))
  assert(plugin_loader.load_subschema(Plugins, name, Errors.new("plugin_schema")))
  return Plugins.subschemas[name]
end


local function field_list(fields)
  local out = {}
  for i, f in ipairs(fields) do
    local key, def = next(f)
    out[i] = { key, def }
  end
  return out
end


local function describe(def)
  local d = {}
  for _, attr in ipairs(ATTRIBUTES) do
    if def[attr] ~= nil then
      d[attr] = def[attr]
    end
  end
  d.validated = def.custom_validator ~= nil or nil
  if def.elements then
    d.elements = describe(def.elements)
  end
  if def.values then
    d.values = describe(def.values)
  end
  if def.fields then
    d.fields = {}
    for i, pair in ipairs(field_list(def.fields)) do
      local e = describe(pair[2])
      e.name = pair[1]
      d.fields[i] = e
    end
  end
  return d
end


--- The config record's fields, in order: { name, type, required, default,
-- one_of, between, gt, len_min, referenceable, validated (has a
-- custom_validator), elements = {...}, values = {...} (a map's),
-- fields = {...} }.
function _M.config_fields(schema)
  for _, pair in ipairs(field_list(schema.fields)) do
    if pair[1] == "config" then
      return describe(pair[2]).fields
    end
  end
end


--- The configuration Kong stores for an empty `config` (every default; a
-- copy, so a spec may change it).
function _M.defaults(name)
  local conf = {}
  for _, f in ipairs(_M.config_fields(_M.load_stub(name))) do
    local v = f.default
    if type(v) == "table" then
      local c = {}
      for i, e in ipairs(v) do c[i] = e end
      v = c
    end
    conf[f.name] = v
  end
  return conf
end


-- JSON with the shapes Kong's schema means (cjson 2.1.0 would write `{}` for
-- an empty array default)
local encode

local function encode_array(t)
  local parts = {}
  for i, v in ipairs(t) do parts[i] = encode(v) end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function encode_field(f)
  local keys = {}
  for k in pairs(f) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = f[k]
    local text
    if (k == "default" or k == "one_of" or k == "between") and type(v) == "table" then
      text = encode_array(v)
    elseif k == "fields" then
      local items = {}
      for i, e in ipairs(v) do items[i] = encode_field(e) end
      text = "[" .. table.concat(items, ",") .. "]"
    elseif k == "elements" or k == "values" then
      text = encode_field(v)
    else
      text = encode(v)
    end
    parts[#parts + 1] = cjson.encode(k) .. ":" .. text
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

encode = function(v)
  if type(v) == "table" then
    return encode_array(v)
  end
  return cjson.encode(v)
end

_M.encode_fields = function(fields)
  local items = {}
  for i, f in ipairs(fields) do items[i] = encode_field(f) end
  return "[" .. table.concat(items, ",") .. "]"
end


local function main(args)
  local through_kong = args[1] == "--kong"
  local name = assert(args[through_kong and 2 or 1], "usage: plugin_schema.lua [--kong] NAME")
  local schema = through_kong and _M.load_kong(name) or _M.load_stub(name)
  io.write(_M.encode_fields(_M.config_fields(schema)), "\n")
end


if ... ~= "helpers.plugin_schema" then
  main(arg)
end

return _M
