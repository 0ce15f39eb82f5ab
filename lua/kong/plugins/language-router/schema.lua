-- Configuration schema of the language-router plugin (Kong 3.9 schema DSL).
-- This file is the only definition of the plugin's configuration:
-- tests/test_plugin_schemas.py checks gateway/spec/plugins/language_router.py and
-- the field table of docs/LANGUAGE_ROUTER.md against it, field by field; the
-- specs run with its defaults (spec/helpers/plugin_schema.lua).

local typedefs = require "kong.db.schema.typedefs"
local json_path = require "kong.plugins.language-router.json_path"
local languages = require "kong.plugins.language-router.languages"


local SOURCES = { "header", "query", "body", "detect" }
local PRESETS = { "none", "asr", "tts", "nmt", "pipeline" }
local DELIVERIES = { "query", "header" }


-- a path read with `[*]` (every element)
local function validate_path(value)
  return json_path.validate(value)
end


-- a path a value is written to: no `[*]`
local function validate_plain_path(value)
  local ok, err = json_path.validate(value)
  if not ok then
    return nil, err
  end

  if value:find("[*]", 1, true) then
    return nil, "'[*]' is not allowed here: the path must name one value"
  end

  return true
end


-- an ISO 15924 script code (any case)
local function validate_script(value)
  if languages.normalize_script(value) then
    return true
  end
  return nil, "'" .. languages.sanitize(value) .. "' is not an ISO 15924 script code such as Latn, Deva, Taml"
end


return {
  name = "language-router",
  fields = {
    { consumer = typedefs.no_consumer },
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { sources = {
              description = "Where the language is looked for, in order of precedence.",
              type = "array",
              required = true,
              default = { "header", "query", "body", "detect" },
              len_min = 1,
              elements = { type = "string", one_of = SOURCES },
          }, },
          { header_names = {
              description = "Request headers that may carry the language code.",
              type = "array",
              required = true,
              default = { "X-Language", "X-Source-Language" },
              elements = typedefs.header_name,
          }, },
          { script_header_names = {
              description = "Request headers that may carry the script (ISO 15924 code, e.g. `Latn`).",
              type = "array",
              required = true,
              default = { "X-Source-Script" },
              elements = typedefs.header_name,
          }, },
          { query_names = {
              description = "Query arguments that may carry the language code.",
              type = "array",
              required = true,
              default = { "lang", "sourceLanguage" },
              elements = { type = "string" },
          }, },
          { script_query_names = {
              description = "Query arguments that may carry the script (ISO 15924 code).",
              type = "array",
              required = true,
              default = { "sourceScriptCode" },
              elements = { type = "string" },
          }, },
          { body_language_path = {
              description = "Dotted path of the language code in a JSON body; `[N]` selects an array element.",
              type = "string",
              required = true,
              default = "config.language.sourceLanguage",
              custom_validator = validate_plain_path,
          }, },
          { body_script_path = {
              description = "Dotted path of the script code (ISO 15924) in a JSON body.",
              type = "string",
              required = true,
              default = "config.language.sourceScriptCode",
              custom_validator = validate_plain_path,
          }, },
          { detect_fields = {
              description = "Dotted paths of the JSON body strings used for script/language detection; `[*]` is every element.",
              type = "array",
              required = true,
              default = { "input[*].source" },
              elements = { type = "string", custom_validator = validate_path },
          }, },
          { min_confidence = {
              description = "Lowest detection confidence that is accepted.",
              type = "number",
              required = true,
              default = 0.5,
              between = { 0, 1 },
          }, },
          { max_body_bytes = {
              description = "Bodies larger than this are not read (headers and query still apply); the platform's maximum body size, 50 MiB.",
              type = "integer",
              required = true,
              default = 52428800,
              gt = 0,
          }, },
          { preset = {
              description = "Built-in Dhruva model-family mapping, overridden per language by `mappings`.",
              type = "string",
              required = true,
              default = "none",
              one_of = PRESETS,
          }, },
          { mappings = {
              description = "Per-language (or language + script) upstream and/or model.",
              type = "array",
              required = true,
              default = {},
              elements = {
                type = "record",
                fields = {
                  { language = { description = "ULCA language code, e.g. `hi`.", type = "string", required = true }, },
                  { script = { description = "ISO 15924 script code, e.g. `Latn`: the mapping applies to text in this script only, and wins over the language's mapping without script.", type = "string", required = false, custom_validator = validate_script }, },
                  { upstream = { description = "Name of the Kong Upstream for this language.", type = "string", required = false }, },
                  { service_id = { description = "Model (serviceId) for this language.", type = "string", required = false }, },
                },
              },
          }, },
          { fallback_upstream = {
              description = "Upstream used when no language (or no mapping) is found.",
              type = "string",
              required = false,
          }, },
          { fallback_service_id = {
              description = "Model used when no language (or no mapping) is found.",
              type = "string",
              required = false,
          }, },
          { service_id_path = {
              description = "Dotted path of the model id (serviceId) in a JSON body.",
              type = "string",
              required = true,
              default = "config.serviceId",
              custom_validator = validate_plain_path,
          }, },
          { set_service_id = {
              description = "Write the mapped model into the body when the client sent none.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { override_service_id = {
              description = "Replace a model the client sent too.",
              type = "boolean",
              required = true,
              default = false,
          }, },
          { write_source_language = {
              description = "Write a detected language into `body_language_path` when absent.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { write_source_script = {
              description = "Write a detected script into `body_script_path` when absent.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { service_id_delivery = {
              description = "How the model goes out when the body is not rewritten (above 64 KiB in memory, or spilled to a file): the `serviceId` query argument or the `service_id_header` header.",
              type = "string",
              required = true,
              default = "query",
              one_of = DELIVERIES,
          }, },
          { service_id_header = typedefs.header_name {
              description = "Header carrying the model when `service_id_delivery` is `header`.",
              required = true,
              default = "X-Service-Id",
          }, },
          { health_fallback = {
              description = "Use the fallback upstream when Kong's balancer reports no healthy target for the mapped one.",
              type = "boolean",
              required = true,
              default = true,
          }, },
          { health_cache_seconds = {
              description = "Seconds a worker reuses an upstream's health answer (0: ask on every request).",
              type = "number",
              required = true,
              default = 5,
              between = { 0, 60 },
          }, },
          { emit_headers = {
              description = "Send X-Detected-Language, X-Detected-Script, X-Language-Source and X-Language-Confidence upstream.",
              type = "boolean",
              required = true,
              default = true,
          }, },
        },
    }, },
  },
}
