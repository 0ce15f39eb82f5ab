-- language-router's language step: the language and the script of a request
-- from the configured `sources`, in order: request headers, query arguments,
-- a field of the JSON body, or the detector over text fields of the body. The
-- script (ISO 15924: Latn for romanized Hindi, Deva, ...) is found through the
-- same sources, and a mapping may key on it.

local body = require "kong.plugins.language-router.body"
local languages = require "kong.plugins.language-router.languages"
local report = require "kong.plugins.language-router.report"
local request = require "kong.plugins.language-router.request"


local kong = kong
local ngx = ngx
local type = type
local pcall = pcall
local tostring = tostring

local normalize = languages.normalize
local normalize_script = languages.normalize_script
local script_of = languages.script_of
local sanitize = languages.sanitize
local clean = report.clean
local load_body = body.load
local body_text = body.text

local EMPTY = {}


local _M = {}


-- the detector is another module; the plugin works (without detection) when
-- it is missing or broken
local detect_fn, script_fn, detect_err
do
  local ok, mod = pcall(require, "kong.plugins.language-router.detect")
  if ok and type(mod) == "table" and type(mod.detect) == "function" then
    detect_fn = mod.detect
    script_fn = type(mod.script) == "function" and mod.script or nil
  else
    detect_err = ok and "module has no detect()" or tostring(mod)
  end
end

-- fn(item, a, b, c, d) for the items of `list` in order until a call returns
-- a first value; that call's results
local function first_of(list, fn, a, b, c, d)
  for i = 1, #list do
    local r1, r2, r3, r4 = fn(list[i], a, b, c, d)
    if r1 ~= nil then
      return r1, r2, r3, r4
    end
  end
  return nil
end


-- the value of header `name` (the getter's shape shared with `query_arg`)
local header = request.header


-- the request's query arguments, parsed once per request: Kong's
-- get_query_arg parses the whole query string on every call
-- (kong/pdk/request.lua, _REQUEST.get_query_arg -> get_query ->
-- ngx.req.get_uri_args), and a request may look up several names. Without a
-- query string ($args unset or empty: most AI requests) nothing is parsed.
local function query_args(state)
  local args = state.query
  if not args then
    local raw = ngx.var.args
    if raw == nil or raw == "" then
      args = {}
    else
      args = kong.request.get_query()
    end
    state.query = args
  end
  return args
end


-- the value of query argument `name`, its first when repeated (as
-- kong.request.get_query_arg)
local function query_arg(name, state)
  local value = query_args(state)[name]
  if type(value) == "table" then
    return value[1]
  end
  return value
end


-- the value of `name` (read with `get`) when it is a known language, and the
-- script the value names (`hi-Latn`)
local function known_language(name, get, what, plan, state)
  local raw = get(name, state)
  if raw ~= nil then
    local code = normalize(raw, plan.known)
    if code then
      return code, script_of(raw)
    end
    kong.log.debug(what, " ", name, ": unknown language '", sanitize(raw), "' ignored")
  end
end


-- the value of `name` when it is an ISO 15924 script code
local function known_script(name, get, what, state)
  local raw = get(name, state)
  if raw ~= nil then
    local script = normalize_script(raw)
    if script then
      return script
    end
    kong.log.debug(what, " ", name, ": unknown script '", sanitize(raw), "' ignored")
  end
end


local function from_headers(conf, plan)
  return first_of(conf.header_names, known_language, header, "header", plan)
end


local function from_query(conf, plan, state)
  return first_of(conf.query_names, known_language, query_arg, "query argument", plan, state)
end


local function script_from_headers(conf)
  return first_of(conf.script_header_names or EMPTY, known_script, header, "header")
end


local function script_from_query(conf, state)
  return first_of(conf.script_query_names or EMPTY, known_script, query_arg, "query argument", state)
end


local function script_from_body(conf, plan, state)
  local res = plan.script_pid and load_body(conf, plan, state)
  local rec = res and res.values[plan.script_pid]
  if not rec or rec.type ~= "string" then
    return nil
  end

  local script = normalize_script(rec.value)
  if not script then
    kong.log.debug("body: unknown script '", sanitize(rec.value), "' ignored")
  end
  return script
end


local function from_body(conf, plan, state)
  local res = load_body(conf, plan, state)
  if not res then
    return nil
  end

  local rec = res.values[plan.lang_pid]
  if not rec or rec.type ~= "string" then
    return nil
  end

  local code = normalize(rec.value, plan.known)
  if not code then
    kong.log.debug("body: unknown language '", sanitize(rec.value), "' ignored")
  end
  return code
end


-- runs the detector once per request: lang, confidence, script (raw)
local function detection(conf, plan, state)
  local done = state.detection
  if done then
    return done[1], done[2], done[3]
  end
  state.detection = EMPTY

  if not detect_fn then
    if detect_err then
      kong.log.warn("language detection unavailable: ", clean(detect_err))
      detect_err = nil
    end
    return nil
  end

  local text = body_text(conf, plan, state)
  if not text then
    return nil
  end

  local ok, lang, confidence, script = pcall(detect_fn, text)
  if not ok then
    kong.log.err("language detection failed: ", clean(lang))
    return nil
  end

  state.detection = { lang, confidence, script }
  return lang, confidence, script
end


-- the detected script (raw) alone: the detector's script step only, unless
-- the language was detected already (the same script as detection's)
local function detected_script(conf, plan, state)
  if state.detection or not script_fn then
    local _, _, script = detection(conf, plan, state)
    return script
  end

  local text = body_text(conf, plan, state)
  if not text then
    return nil
  end

  local ok, script = pcall(script_fn, text)
  if not ok then
    kong.log.err("script detection failed: ", clean(script))
    return nil
  end
  return script
end


local function from_detection(conf, plan, state)
  local lang, confidence = detection(conf, plan, state)

  -- (NaN fails every comparison: confidence ~= confidence)
  if type(confidence) ~= "number" or confidence ~= confidence
     or confidence < conf.min_confidence
  then
    return nil
  end

  local code = normalize(lang, plan.known)
  if not code then
    return nil
  end

  if confidence > 1 then
    confidence = 1
  end

  return code, confidence
end


-- the language `source` gives: code, source, confidence, script
local function language_from(source, conf, plan, state)
  local code, confidence, script
  if source == "header" then
    code, script = from_headers(conf, plan)

  elseif source == "query" then
    code, script = from_query(conf, plan, state)

  elseif source == "body" then
    code = from_body(conf, plan, state)

  elseif source == "detect" then
    code, confidence = from_detection(conf, plan, state)
    source = "detected"
  end

  if code then
    return code, source, confidence or 1, script
  end
end


local function find_language(conf, plan, state)
  return first_of(conf.sources, language_from, conf, plan, state)
end


-- the script source `s` gives (raw -> normalized), and the source's name;
-- the body and the detector only when `wanted` or the body was read already
local function script_from(s, conf, plan, state, wanted)
  local script
  if s == "header" then
    script = script_from_headers(conf)

  elseif s == "query" then
    script = script_from_query(conf, state)

  elseif s == "body" and (wanted or state.body_loaded) then
    script = script_from_body(conf, plan, state)

  elseif s == "detect" and (wanted or state.body_loaded) then
    script = normalize_script(detected_script(conf, plan, state))
    s = "detected"
  end

  if script then
    return script, s
  end
end


-- The script of `lang`'s text: the script subtag of a header or query
-- language value (`hi-Latn`), else through `sources` in order: the script headers, the script query arguments, the
-- body's `body_script_path`, the detector's script. The body is read and the
-- detector run for it only when the body was read already, or a mapping keys
-- on the script of `lang` (a header decision stays cheap).
local function find_script(conf, plan, state, lang, source, script)
  if script then
    return script, source
  end

  return first_of(conf.sources, script_from, conf, plan, state, lang and plan.scripted[lang] ~= nil)
end


--- The decision's language and script, kept in the request's `state`:
-- lang (a code or nil), source ("header", "query", "body", "detected"),
-- confidence, script, script_source.
function _M.find(conf, plan, state)
  local lang, source, confidence, script = find_language(conf, plan, state)
  state.lang, state.source, state.confidence = lang, source, confidence
  state.script, state.script_source = find_script(conf, plan, state, lang, source, script)
end


return _M
