-- language-router's schema.lua (the only definition of its configuration):
--  1. always: loaded as LuaJIT loads it (helpers/plugin_schema.lua, a stub of
--     Kong's typedefs); its validators. tests/test_plugin_schemas.py checks the
--     Python model, the docs' table and pdk_fake.config against its fields,
--     and that Kong's own plugin loader reads it the same way;
--  2. when Kong's sources are present (KONG_SOURCE, see helpers/kong_source.lua):
--     validated by Kong's own MetaSubSchema and plugins entity, which also
--     fill in the defaults and reject bad configurations.

local cjson = require "cjson"
local kong_source = require "helpers.kong_source"
local kong_schema = require "helpers.kong_schema"
local plugin_schema = require "helpers.plugin_schema"


local function key(t)
  return (next(t))
end


local function config_defs(schema)
  local by = {}
  for _, f in ipairs(schema.fields[3].config.fields) do
    local k, v = next(f)
    by[k] = v
  end
  return by
end


describe("schema (typedefs stub)", function()
  local schema = plugin_schema.load_stub("language-router")
  local by = config_defs(schema)

  it("has Kong's plugin schema shape", function()
    assert.equal("language-router", schema.name)
    assert.same({ "consumer", "protocols", "config" },
                { key(schema.fields[1]), key(schema.fields[2]), key(schema.fields[3]) })
    assert.equal("record", schema.fields[3].config.type)
  end)

  it("validates scripts", function()
    local script = by.mappings.elements.fields[2].script
    assert.is_true(script.custom_validator("Latn"))
    assert.is_true(script.custom_validator("deva"))
    local ok, err = script.custom_validator("Xyzw")
    assert.is_nil(ok)
    assert.matches("not an ISO 15924 script code", err, 1, true)
  end)

  it("validates paths", function()
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
  local process, setup, teardown = kong_schema.processor(KONG, "language-router")
  lazy_setup(setup)
  lazy_teardown(teardown)

  it("fills schema.lua's defaults", function()
    local entity, ok = process({})
    assert.is_true(ok)
    local want = plugin_schema.defaults("language-router")
    want.fallback_upstream, want.fallback_service_id = cjson.null, cjson.null
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

  it("rejects what schema.lua forbids", function()
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
