-- schema.lua against docs/LANGUAGE_ROUTER_CONTRACT.md:
--  1. always: loaded with a minimal typedefs stub; field names, types and
--     defaults compared with the contract's table (parsed from the document);
--  2. when Kong's sources are present (KONG_SOURCE, see helpers/kong_source.lua):
--     validated by Kong's own MetaSubSchema and plugins entity, which also
--     fill in the defaults and reject bad configurations.

local cjson = require "cjson"
local kong_source = require "helpers.kong_source"
local kong_schema = require "helpers.kong_schema"


local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]+$") or "spec"
local CONTRACT = here .. "/../../docs/LANGUAGE_ROUTER_CONTRACT.md"
local MODULE = "kong.plugins.language-router.schema"


local function read(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local s = f:read("*a")
  f:close()
  return s
end


-- rows of the contract's table: { field, type, default (decoded), constraint }
local function contract_rows()
  local text = assert(read(CONTRACT), "cannot read " .. CONTRACT)
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local field, typ, default = line:match("^|%s*([%w_]+)%s*|%s*([^|]-)%s*|%s*([^|]-)%s*|")
    if field and field ~= "field" then
      local value
      if default == "null" then
        value = cjson.null
      else
        value = cjson.decode(default)
      end
      rows[#rows + 1] = { field = field, type = typ, default = value }
    end
  end
  return rows
end


local function load_with_stub_typedefs()
  local saved = package.loaded["kong.db.schema.typedefs"]
  package.loaded["kong.db.schema.typedefs"] = {
    no_consumer = { type = "foreign", reference = "consumers", eq = cjson.null },
    protocols_http = { type = "set", required = true, default = { "http", "https" },
                       elements = { type = "string", one_of = { "http", "https" } } },
    -- callable like Kong's typedefs (kong/db/schema/init.lua, Schema.define)
    header_name = setmetatable({ type = "string" }, {
      __call = function(t, arg)
        arg = arg or {}
        for k, v in pairs(t) do
          if arg[k] == nil then arg[k] = v end
        end
        return arg
      end,
    }),
  }
  package.loaded[MODULE] = nil
  local schema = require(MODULE)
  package.loaded[MODULE] = nil
  package.loaded["kong.db.schema.typedefs"] = saved
  return schema
end


local function key(t)
  return (next(t))
end


local function config_fields(schema)
  for _, f in ipairs(schema.fields) do
    if f.config then
      return f.config.fields
    end
  end
end


local TYPE_OF = {
  ["array of string"] = "array", string = "string", number = "number",
  integer = "integer", boolean = "boolean",
}


describe("schema (typedefs stub)", function()
  local schema = load_with_stub_typedefs()
  local fields = config_fields(schema)
  local rows = contract_rows()

  it("has Kong's plugin schema shape", function()
    assert.equal("language-router", schema.name)
    assert.same({ "consumer", "protocols", "config" },
                { key(schema.fields[1]), key(schema.fields[2]), key(schema.fields[3]) })
    assert.equal("record", schema.fields[3].config.type)
  end)

  it("lists exactly the contract's fields, in its order", function()
    assert.equal(24, #rows)
    local names = {}
    for i, f in ipairs(fields) do names[i] = key(f) end
    local want = {}
    for i, r in ipairs(rows) do want[i] = r.field end
    assert.same(want, names)
  end)

  for _, row in ipairs(rows) do
    it("field " .. row.field .. " matches type and default", function()
      local def
      for _, f in ipairs(fields) do
        if f[row.field] then def = f[row.field] end
      end
      assert.is_table(def)

      local want_type = TYPE_OF[row.type] or (row.type:match("^array of record") and "array")
      assert.equal(want_type, def.type)

      if row.default == cjson.null then
        assert.is_nil(def.default)
        assert.is_not_true(def.required)
      else
        assert.same(row.default, def.default)
      end
    end)
  end

  it("has the contract's constraints", function()
    local by = {}
    for _, f in ipairs(fields) do
      local k, v = next(f)
      by[k] = v
    end
    assert.same({ "header", "query", "body", "detect" }, by.sources.elements.one_of)
    assert.equal(1, by.sources.len_min)
    assert.same({ 0, 1 }, by.min_confidence.between)
    assert.equal(0, by.max_body_bytes.gt)
    assert.same({ "none", "asr", "tts", "nmt", "pipeline" }, by.preset.one_of)
    local rec = by.mappings.elements
    assert.equal("record", rec.type)
    assert.same({ "language", "script", "upstream", "service_id" },
                { key(rec.fields[1]), key(rec.fields[2]), key(rec.fields[3]), key(rec.fields[4]) })
    assert.is_true(rec.fields[1].language.required)
    assert.is_not_true(rec.fields[2].script.required)
    assert.is_not_true(rec.fields[3].upstream.required)
    assert.is_not_true(rec.fields[4].service_id.required)
    assert.is_true(rec.fields[2].script.custom_validator("Latn"))
    assert.is_true(rec.fields[2].script.custom_validator("deva"))
    local ok, err = rec.fields[2].script.custom_validator("Xyzw")
    assert.is_nil(ok)
    assert.matches("not an ISO 15924 script code", err, 1, true)
  end)

  it("validates paths", function()
    local by = {}
    for _, f in ipairs(fields) do
      local k, v = next(f)
      by[k] = v
    end
    assert.is_true(by.body_language_path.custom_validator("pipelineTasks[0].config.language.sourceLanguage"))
    assert.is_nil(by.service_id_path.custom_validator("config..serviceId"))
    assert.is_nil(by.service_id_path.custom_validator("tasks[*].config.serviceId"))
    assert.is_nil(by.body_language_path.custom_validator("input[*].lang"))
    assert.is_true(by.detect_fields.elements.custom_validator("input[*].source"))
    assert.is_nil(by.detect_fields.elements.custom_validator("input[x]"))
  end)
end)


local KONG = kong_source.root


local describe_kong = KONG and describe or pending
describe_kong("schema (Kong 3.9 schema library, KONG_SOURCE)", function()
  local Plugins, restore

  lazy_setup(function()
    Plugins, restore = kong_schema.load(KONG, "language-router")
  end)

  lazy_teardown(function()
    if restore then restore() end
  end)

  local function process(config)
    local entity = Plugins:process_auto_fields({ name = "language-router", config = config }, "insert")
    return entity, Plugins:validate(entity)
  end

  it("fills the contract's defaults", function()
    local entity, ok = process({})
    assert.is_true(ok)
    local want = {}
    for _, row in ipairs(contract_rows()) do
      want[row.field] = row.default
    end
    assert.same(want, entity.config)
    assert.same({ "grpc", "grpcs", "http", "https" }, entity.protocols)
  end)

  it("accepts a full configuration", function()
    local _, ok, err = process({
      sources = { "detect", "header" },
      header_names = { "X-Lang" },
      body_language_path = "pipelineTasks[0].config.language.sourceLanguage",
      detect_fields = { "input[*].source", "inputData.input[*].source" },
      min_confidence = 0.8,
      preset = "tts",
      mappings = { { language = "hi", upstream = "tts-indo", service_id = "m" },
                   { language = "hi", script = "Latn", service_id = "xlit" },
                   { language = "ta" } },
      body_script_path = "pipelineTasks[0].config.language.sourceScriptCode",
      script_header_names = { "X-Script" },
      write_source_script = false,
      fallback_upstream = "tts-default",
      fallback_service_id = "m2",
      override_service_id = true,
    })
    assert.is_nil(err)
    assert.is_true(ok)
  end)

  it("rejects what the contract forbids", function()
    local cases = {
      { sources = {} },
      { sources = { "cookie" } },
      { min_confidence = 1.5 },
      { min_confidence = -0.1 },
      { max_body_bytes = 0 },
      { max_body_bytes = 1.5 },
      { preset = "ocr" },
      { mappings = { { upstream = "x" } } },
      { mappings = { { language = "hi", model = "x" } } },
      { mappings = { { language = "hi", script = "Roman" } } },
      { mappings = { { language = "hi", script = "Qaaa" } } },
      { body_script_path = "input[*].script" },
      { script_header_names = { "X Bad" } },
      { header_names = { "X Bad" } },
      { body_language_path = "a..b" },
      { detect_fields = { "input[" } },
      { service_id_path = "pipelineTasks[*].config.serviceId" },
      { unknown_field = true },
    }
    for _, config in ipairs(cases) do
      local _, ok, err = process(config)
      assert.is_nil(ok, cjson.encode(config))
      assert.is_table(err)
    end
  end)
end)
