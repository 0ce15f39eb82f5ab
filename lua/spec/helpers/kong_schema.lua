-- Kong 3.9.3's own schema library (kong/db/schema/*), loaded from a Kong
-- source checkout, to validate our plugins' schemas as Kong does.

local cjson = require "cjson"

local _M = {}


--- Loads Kong's schema library from the checkout `root` (helpers/kong_source)
-- with stubs for request-time modules; returns the plugins entity with the
-- subschema of our plugin `name` (kong/plugins/<name>/schema.lua, checked by
-- Kong's MetaSubSchema), and a function restoring the globals.
function _M.load(root, name)
  local module = "kong.plugins." .. name .. ".schema"
  local saved = {
    ngx = rawget(_G, "ngx"), kong = rawget(_G, "kong"), path = package.path,
    loaded = {},
  }
  for k, v in pairs(package.loaded) do saved.loaded[k] = v end

  local function make_stub()
    return setmetatable({}, {
      __index = function(t, k)
        local c = make_stub()
        rawset(t, k, c)
        return c
      end,
      __call = function() return nil end,
    })
  end

  local FORCE_STUB = {
    ["kong.tools.ip"] = true, ["kong.tools.uri"] = true, ["kong.tools.yield"] = true,
    ["kong.tools.rand"] = true, ["kong.tools.uuid"] = true, ["kong.tools.sandbox"] = true,
    ["kong.tools.module"] = true, ["kong.deprecation"] = true, ["kong.pdk.vault"] = true,
    ["kong.db.schema.json"] = true, ["kong.router.transform"] = true,
    ["kong.router.atc"] = true, ["kong.observability.tracing.propagation.schema"] = true,
  }
  local first = function(name)
    if FORCE_STUB[name] then
      return function() return make_stub() end
    end
  end
  local last = function() return function() return make_stub() end end
  local searchers = package.loaders
  table.insert(searchers, 1, first)
  table.insert(searchers, last)

  package.preload["table.clone"] = function()
    return function(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end
  end
  package.preload["table.nkeys"] = function()
    return function(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end
  end

  package.path = root .. "/?.lua;" .. root .. "/?/init.lua;" .. package.path
  local ngx_stub = make_stub()
  rawset(ngx_stub, "null", cjson.null)
  rawset(ngx_stub, "re", {
    -- the only regex the schema needs: header names
    match = function(s, re)
      if re == "^[a-zA-Z0-9-_]+$" then
        return s:match("^[%w_%-]+$") and { s } or nil
      end
      return { s }
    end,
    find = function(s) return 1, #s end,
  })
  rawset(_G, "ngx", ngx_stub)
  rawset(_G, "kong", {
    configuration = { database = "postgres", role = "traditional",
                      router_flavor = "traditional_compatible" },
    vault = make_stub(), log = make_stub(),
  })
  package.loaded[module] = nil

  local function restore()
    for i = #searchers, 1, -1 do
      if searchers[i] == first or searchers[i] == last then
        table.remove(searchers, i)
      end
    end
    package.preload["table.clone"] = nil
    package.preload["table.nkeys"] = nil
    package.path = saved.path
    for k in pairs(package.loaded) do
      if saved.loaded[k] == nil then package.loaded[k] = nil end
    end
    rawset(_G, "ngx", saved.ngx)
    rawset(_G, "kong", saved.kong)
  end

  local ok, res = pcall(function()
    local MetaSchema = require "kong.db.schema.metaschema"
    local Entity = require "kong.db.schema.entity"
    for _, name in ipairs({ "consumers", "certificates", "ca_certificates", "services", "routes" }) do
      assert(Entity.new(require("kong.db.schema.entities." .. name)))
    end
    local Plugins = assert(Entity.new(require "kong.db.schema.entities.plugins"))
    local schema = require(module)
    local meta_ok, meta_err = MetaSchema.MetaSubSchema:validate(schema)
    assert(meta_ok, "MetaSubSchema: " .. cjson.encode(meta_err or {}))
    assert(Entity.new_subschema(Plugins, name, schema))
    return Plugins
  end)

  if not ok then
    restore()
    error(res)
  end

  return res, restore
end


--- For a describe block: process(config, extra), the entity `{ name, config }`
-- of our plugin `name` (with `extra`'s fields) through Kong's auto fields, and
-- Kong's validation of it; with setup (load, for lazy_setup) and teardown
-- (restore the globals, for lazy_teardown): busted's own functions are the
-- spec file's, not this module's.
function _M.processor(root, name)
  local Plugins, restore

  local function setup()
    Plugins, restore = _M.load(root, name)
  end

  local function teardown()
    if restore then restore() end
  end

  local function process(config, extra)
    local entity = { name = name, config = config }
    for k, v in pairs(extra or {}) do
      entity[k] = v
    end
    entity = Plugins:process_auto_fields(entity, "insert")
    return entity, Plugins:validate(entity)
  end

  return process, setup, teardown
end


return _M
