-- language-router's plan: what one plugin configuration asks, built once per
-- configuration table. The mappings and the preset by language (and script),
-- the fallback, and the compiled set of body paths (language, model, script,
-- then the detector's text fields: their ids in that order).

local json_path = require "kong.plugins.language-router.json_path"
local languages = require "kong.plugins.language-router.languages"
local presets = require "kong.plugins.language-router.presets"
local report = require "kong.plugins.language-router.report"


local kong = kong
local type = type
local ipairs = ipairs
local pairs = pairs
local setmetatable = setmetatable
local find = string.find

local normalize_script = languages.normalize_script
local script_of = languages.script_of
local sanitize = languages.sanitize
local clean = report.clean

local EMPTY = {}


local _M = {}


local plans = setmetatable({}, { __mode = "k" })


local function str(v)
  if type(v) == "string" and v ~= "" then
    return v
  end
  return nil
end

-- `e` over `base`, field by field
local function merged(e, base)
  base = base or EMPTY
  return {
    upstream = str(e.upstream) or base.upstream,
    service_id = str(e.service_id) or base.service_id,
  }
end


-- the language-only and the language + script entries of the preset and of
-- the mappings (in this order), as { code, script } pairs
local function plan_rows(conf)
  local plain, scripted = {}, {}
  for key, e in pairs(presets[conf.preset] or EMPTY) do
    local row = { code = e.language or key, script = e.script, e = e }
    local list = e.script and scripted or plain
    list[#list + 1] = row
  end

  for _, m in ipairs(conf.mappings or EMPTY) do
    local code = languages.normalize_config(m.language)
    -- `script`, else a script subtag of the language (`hi-Latn`, as clients send it)
    local script
    if m.script ~= nil then
      script = normalize_script(m.script)
    else
      script = type(m.language) == "string" and find(m.language, "[-_]") and script_of(m.language) or false
    end
    if not code then
      kong.log.warn("mapping with invalid language '", sanitize(m.language), "' ignored")

    elseif script == nil then
      kong.log.warn("mapping with invalid script '", sanitize(m.script), "' ignored")

    else
      local row = { code = code, script = script or nil, e = m }
      local list = script and scripted or plain
      list[#list + 1] = row
    end
  end

  return plain, scripted
end


local function build_plan(conf)
  local plan = {
    known = {},     -- codes accepted besides the built-in list
    entries = {},   -- code -> { upstream, service_id }
    scripted = {},  -- code -> script -> { upstream, service_id }
    fallback = {
      upstream = str(conf.fallback_upstream),
      service_id = str(conf.fallback_service_id),
    },
    json = {},      -- value -> its JSON string (see add_edit)
  }

  -- fields fall back one by one: mapping with script, preset with script,
  -- mapping without script, preset without script
  local plain, scripted = plan_rows(conf)
  for _, row in ipairs(plain) do
    plan.entries[row.code] = merged(row.e, plan.entries[row.code])
    plan.known[row.code] = true
  end

  for _, row in ipairs(scripted) do
    local by_script = plan.scripted[row.code] or {}
    plan.scripted[row.code] = by_script
    by_script[row.script] = merged(row.e, by_script[row.script] or plan.entries[row.code])
    plan.known[row.code] = true
  end

  -- (a configuration stored before body_script_path existed has none)
  local paths = { conf.body_language_path, conf.service_id_path, conf.body_script_path }
  local first = #paths + 1
  for _, p in ipairs(conf.detect_fields or EMPTY) do
    paths[#paths + 1] = p
  end

  local set, err = json_path.compile_set(paths)
  if set then
    plan.set = set
    plan.lang_pid = 1
    plan.sid_pid = 2
    plan.script_pid = first == 4 and 3 or nil
    plan.detect_first = first
    plan.detect_last = #paths
    for _, source in ipairs(conf.sources) do
      plan.detects = plan.detects or source == "detect"
    end

  else
    kong.log.err("body paths unusable, body ignored: ", clean(err))
  end

  return plan
end


--- The plan of configuration `conf` (built on its first request).
function _M.get(conf)
  local plan = plans[conf]
  if not plan then
    plan = build_plan(conf)
    plans[conf] = plan
  end
  return plan
end


return _M
