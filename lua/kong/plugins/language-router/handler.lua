-- language-router: picks the upstream and the model (ULCA `serviceId`) of an
-- AI4V-Core request from its language.
--
-- The language comes from the configured `sources`, in order: request headers,
-- query arguments, a field of the JSON body, or script/language detection over
-- text fields of the body. The script (ISO 15924: Latn for romanized Hindi,
-- Deva, ...) is found through the same sources, and a mapping may key on it.
-- Bodies are scanned, never decoded (see jsonpath.lua), also small ones;
-- a large body (above REWRITE_BYTES in memory, or spilled by nginx to a
-- temporary file) is read in chunks, only as far as the wanted paths need
-- (see reduce.lua), and never rewritten: the model goes out of band
-- (`service_id_delivery`). Any failure leaves the request to the fallback:
-- this plugin never fails a request.

local cjson = require "cjson.safe"
local jsonpath = require "kong.plugins.language-router.jsonpath"
local languages = require "kong.plugins.language-router.languages"
local presets = require "kong.plugins.language-router.presets"
local reduce = require "kong.plugins.language-router.reduce"
local health = require "kong.plugins.language-router.health"


local kong = kong
local ngx = ngx
local io_open = io.open
local type = type
local pcall = pcall
local ipairs = ipairs
local pairs = pairs
local tostring = tostring
local tonumber = tonumber
local setmetatable = setmetatable
local get_request_headers = ngx.req.get_headers
local find = string.find
local sub = string.sub
local lower = string.lower
local byte = string.byte
local gsub = string.gsub
local fmt = string.format
local concat = table.concat


-- small bodies (NMT, TTS) and large ones (ASR audio) get separate copies of
-- the scanner, so that each keeps the JIT traces compiled for its own kind
-- (see jsonpath.copy)
local small_scan = jsonpath.copy().scan

local normalize = languages.normalize
local normalize_script = languages.normalize_script
local script_of = languages.script_of
local sanitize = languages.sanitize


local HEADER_LANGUAGE = "X-Detected-Language"
local HEADER_SOURCE = "X-Language-Source"
local HEADER_CONFIDENCE = "X-Language-Confidence"
local HEADER_SCRIPT = "X-Detected-Script"
-- the four, lower case with `_` read as `-` (see clear_other_spellings)
local OWNED_HEADERS = {}
for _, name in ipairs({ HEADER_LANGUAGE, HEADER_SOURCE, HEADER_CONFIDENCE, HEADER_SCRIPT }) do
  OWNED_HEADERS[lower(name)] = true
end

local DETECT_BYTES = 2048          -- text handed to the detector, at most
local SCAN_OPTS = { capture = DETECT_BYTES, text = DETECT_BYTES }
local SMALL_BODY = 16384           -- bodies up to this size are scanned by `small_scan`
local CHUNK_BYTES = 65536          -- read size of a large body
-- In-memory bodies up to this size are read whole and rewritten in place
-- (NMT, TTS, ASR by URL: the model goes into `service_id_path`). A larger
-- one (base64 audio) is read from a prefix of this size, and the model goes
-- out of band as for a spilled body. The first read is a probe of
-- PROBE_BYTES: the whole of most NMT/TTS bodies, and the `config` of an ASR
-- one; a larger body is then read whole when its Content-Length says it is
-- to be rewritten (without one, its first REWRITE_BYTES + 1 bytes tell).
-- Why: Kong's kong.request.get_raw_body
-- copies the whole in-memory body into a Lua string (kong/pdk/request.lua,
-- _REQUEST.get_raw_body -> ngx.req.get_body_data(): lua_pushlstring of
-- nginx's buffer, ngx_http_lua_req_body.c), a rewrite builds a
-- second copy (jsonpath.apply) and set_raw_body a third in the request's
-- pool (kong/pdk/service/request.lua, request.set_raw_body ->
-- ngx.req.set_body_data). On a 1 MiB body that was 3 MB of copies per
-- request, and the Lua copies stay in the worker's heap until the GC's next
-- cycle: +112 MB peak RSS under load. ngx.req.get_body_data(max_bytes)
-- (lua-nginx-module 0.10.26, OpenResty 1.25.3.2 in Kong 3.9.3) copies only
-- the prefix; the whole body is copied only when the prefix does not hold
-- the wanted paths (a client that sends `config` after the audio). Even the
-- prefix is garbage that raises the worker's peak heap (measured with a
-- 64 KiB prefix: +106 MB in 10 s of 1 MiB uploads, with 4 KiB: +38 MB), so
-- the probe is small.
local REWRITE_BYTES = 65536
local PROBE_BYTES = 4096
local EMPTY = {}
local SERVICE_ID_ARG = "serviceId"  -- Dhruva's inference API: ?serviceId=


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


local LanguageRouter = {
  PRIORITY = 850,
  VERSION = "0.1.0",
}


-- a JSON string for `s` (cjson escapes '/', which is legal but noisy)
local function json_string(s)
  return (gsub(cjson.encode(s), "\\/", "/"))
end


local function str(v)
  if type(v) == "string" and v ~= "" then
    return v
  end
  return nil
end


-- an error message made fit for a log line
local function clean(msg)
  msg = tostring(msg)
  if #msg > 200 then
    msg = sub(msg, 1, 200) .. "..."
  end
  return (gsub(msg, "%c", "?"))
end


---------------------------------------------------------------------------
-- per-configuration plan (built once per plugin configuration table)
---------------------------------------------------------------------------

local plans = setmetatable({}, { __mode = "k" })


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

  local set, err = jsonpath.compile_set(paths)
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


local function get_plan(conf)
  local plan = plans[conf]
  if not plan then
    plan = build_plan(conf)
    plans[conf] = plan
  end
  return plan
end


---------------------------------------------------------------------------
-- body
---------------------------------------------------------------------------

local function is_json(content_type)
  if content_type == "application/json" then
    return true
  end

  if type(content_type) ~= "string" then
    return false
  end

  local mime = lower(content_type)
  local _, _, main = find(mime, "^%s*([^;%s]+)")
  if not main then
    return false
  end

  return main == "application/json"
      or find(main, "^application/[%w%.%-_]+%+json$") ~= nil
end


-- A spilled body is read until the language, script and model paths are
-- complete and either the language is usable or detection does not need more.
local function enough(plan, res)
  local settled = res.settled
  local script_pid = plan.script_pid
  if not (settled[plan.lang_pid] and settled[plan.sid_pid] and (not script_pid or settled[script_pid])) then
    return false
  end

  if not plan.detects then
    return true
  end

  -- a usable language is enough, unless a mapping keys on its script and the
  -- body names none (then detection gives the script)
  local rec = res.values[plan.lang_pid]
  local code = rec and rec.type == "string" and normalize(rec.value, plan.known)
  if code then
    local srec = script_pid and res.values[script_pid]
    if not plan.scripted[code] or (srec and srec.type == "string" and normalize_script(srec.value)) then
      return true
    end
  end

  for pid = plan.detect_first, plan.detect_last do
    if not settled[pid] then
      return false
    end
  end
  return true
end


-- a large body read chunk by chunk with `read`, only as far as needed
local function scan_chunks(plan, read)
  local opts = {
    capture = SCAN_OPTS.capture,
    text = SCAN_OPTS.text,
    enough = function(res) return enough(plan, res) end,
  }
  local ok, res, err = pcall(reduce.reduce, read, plan.set, opts)
  if not ok then
    return nil, res
  end
  return res, err
end


-- the body nginx wrote to a temporary file (client_body_buffer_size), read in
-- chunks and only as far as needed: never whole in memory
local function scan_file(plan, path, max)
  local file, err = io_open(path, "rb")
  if not file then
    return nil, err
  end
  local size = file:seek("end")
  file:close()
  if not size or size > max then
    return nil, "body of " .. tostring(size) .. " bytes is larger than max_body_bytes"
  end

  local read, close = reduce.file_reader(path, CHUNK_BYTES)
  if not read then
    return nil, close
  end

  local res, rerr = scan_chunks(plan, read)
  close()
  return res, rerr
end


-- A large in-memory body, from its prefix `head` (see load_body);
-- the whole body is copied from nginx's buffers only when the prefix does
-- not settle the wanted paths (see REWRITE_BYTES).
local function scan_memory(plan, head, max)
  local read = reduce.string_reader(head, CHUNK_BYTES)
  local whole_read = false
  return scan_chunks(plan, function()
    local p, n = read()
    if p or whole_read then
      return p, n
    end

    whole_read = true
    local whole = ngx.req.get_body_data()
    if not whole or #whole > max then
      return nil, "body of " .. tostring(whole and #whole) .. " bytes is larger than max_body_bytes"
    end
    read = reduce.string_reader(whole, CHUNK_BYTES, #head)
    return read()
  end)
end


-- reads and scans the body once per request; nil when it is not usable
local function load_body(conf, plan, state)
  if state.body_loaded then
    return state.scan
  end
  state.body_loaded = true

  if not plan.set then
    return nil
  end

  if not is_json(kong.request.get_header("Content-Type")) then
    return nil
  end

  local max = conf.max_body_bytes
  local declared = tonumber(kong.request.get_header("Content-Length"))
  if declared and declared > max then
    kong.log.debug("body of ", declared, " bytes is larger than max_body_bytes, not read")
    return nil
  end

  -- as kong.request.get_raw_body() without a size (kong/pdk/request.lua):
  -- read_body, then the in-memory data; nil for a body nginx spilled to a
  -- temporary file, which is scanned from the file. A large body is copied
  -- here only as far as the probe (see REWRITE_BYTES).
  local req = ngx.req
  req.read_body()
  local body = req.get_body_data(PROBE_BYTES + 1)
  if body and #body > PROBE_BYTES then
    if not declared then
      body = req.get_body_data(REWRITE_BYTES + 1)
    elseif declared <= REWRITE_BYTES then
      body = req.get_body_data()
    end
  end

  if not body then
    local path = req.get_body_file()
    if not path then
      return nil   -- no body
    end

    local res, err = scan_file(plan, path, max)
    if not res then
      kong.log.debug("spilled body not usable: ", clean(err))
      return nil
    end
    state.spilled = true
    state.out_of_band = true
    state.scan = res
    return res
  end

  if #body > max then
    kong.log.debug("body of ", #body, " bytes is larger than max_body_bytes, not read")
    return nil
  end

  if #body > REWRITE_BYTES or declared and declared > REWRITE_BYTES then
    local res, err = scan_memory(plan, body, max)
    if not res then
      kong.log.debug("large body not usable: ", clean(err))
      return nil
    end
    state.out_of_band = true
    state.scan = res
    return res
  end

  local res, serr = (#body <= SMALL_BODY and small_scan or jsonpath.scan)(body, plan.set, SCAN_OPTS)
  if not res then
    kong.log.debug("body is not usable JSON: ", clean(serr))
    return nil
  end

  state.body = body
  state.scan = res
  return res
end


-- drops an incomplete UTF-8 sequence at the end of `s`
local function utf8_trim(s)
  local n = #s
  local i = n
  while i > 0 and i > n - 3 do
    local b = byte(s, i)
    if b < 0x80 then
      return s
    end

    if b >= 0xC0 then
      local need = b >= 0xF0 and 4 or b >= 0xE0 and 3 or 2
      if n - i + 1 < need then
        return sub(s, 1, i - 1)
      end
      return s
    end

    i = i - 1
  end

  return s
end


local function detect_text(plan, res)
  -- the common case: one wildcard string, short enough
  if plan.detect_first == plan.detect_last then
    local v = res.values[plan.detect_first]
    if v and not v.type and #v == 1 and #v[1] <= DETECT_BYTES then
      return utf8_trim(v[1])
    end
  end

  local parts = {}
  local total = 0
  for pid = plan.detect_first, plan.detect_last do
    local v = res.values[pid]
    if v then
      local list = v.type and { v.type == "string" and v.value or nil } or v
      for _, text in ipairs(list) do
        if total >= DETECT_BYTES then
          break
        end
        parts[#parts + 1] = text
        total = total + #text + 1
      end
    end
  end

  local text = concat(parts, "\n")
  if #text > DETECT_BYTES then
    text = sub(text, 1, DETECT_BYTES)
  end

  return utf8_trim(text)
end


---------------------------------------------------------------------------
-- sources
---------------------------------------------------------------------------

-- fn(item, a, b, c, d) for the items of `list` in order until a call returns
-- a first value; that call's results. The first four calls are written out: a
-- loop of a few turns (two header names, four sources) inside the request path
-- is an inner loop LuaJIT cannot compile into the request's trace, and after
-- a few aborted attempts it stops compiling the code around it (`luajit -jv`
-- shows "blacklisted"). Longer lists go on in a loop.
local function first_of(list, fn, a, b, c, d)
  local n = #list
  if n == 0 then
    return nil
  end
  local r1, r2, r3, r4 = fn(list[1], a, b, c, d)
  if r1 ~= nil or n == 1 then
    return r1, r2, r3, r4
  end
  r1, r2, r3, r4 = fn(list[2], a, b, c, d)
  if r1 ~= nil or n == 2 then
    return r1, r2, r3, r4
  end
  r1, r2, r3, r4 = fn(list[3], a, b, c, d)
  if r1 ~= nil or n == 3 then
    return r1, r2, r3, r4
  end
  r1, r2, r3, r4 = fn(list[4], a, b, c, d)
  if r1 ~= nil or n == 4 then
    return r1, r2, r3, r4
  end
  for i = 5, n do
    r1, r2, r3, r4 = fn(list[i], a, b, c, d)
    if r1 ~= nil then
      return r1, r2, r3, r4
    end
  end
  return nil
end


-- the value of header `name` (the getter's shape shared with `query_arg`)
local function header(name)
  return kong.request.get_header(name)
end


-- the request's query arguments, parsed once per request: Kong's
-- get_query_arg parses the whole query string on every call
-- (kong/pdk/request.lua, _REQUEST.get_query_arg -> get_query ->
-- ngx.req.get_uri_args), and a request may look up several names
local function query_args(state)
  local args = state.query
  if not args then
    args = kong.request.get_query()
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


-- the text of the body the detector gets; nil when there is none
local function body_text(conf, plan, state)
  local res = load_body(conf, plan, state)
  local text = res and detect_text(plan, res)
  if text and text ~= "" then
    return text
  end
  return nil
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


---------------------------------------------------------------------------
-- body rewrite
---------------------------------------------------------------------------

local function blank(rec)
  if not rec or rec.type == "null" then
    return true
  end
  return rec.type == "string" and not find(rec.value or "", "[^%s]")
end


-- plans writing `value` (as a JSON string) at path `pid` of the scanned body,
-- or logs why it cannot be written. (The values written are the
-- configuration's models and the known language and script codes: their
-- encodings are kept with the plan.)
local function add_edit(plan, edits, res, pid, value, what)
  local json = plan.json[value]
  if not json then
    json = json_string(value)
    plan.json[value] = json
  end
  local edit, err = jsonpath.plan_set(res, pid, json)
  if edit then
    edits[#edits + 1] = edit
  else
    kong.log.debug(what, " not written: ", clean(err))
  end
end


local function deliver_service_id(conf, state, service_id)
  if conf.service_id_delivery == "header" then
    kong.service.request.set_header(conf.service_id_header, service_id)
    return
  end

  local args = query_args(state)
  args[SERVICE_ID_ARG] = service_id
  kong.service.request.set_query(args)
end


local function rewrite_body(conf, plan, state, entry, lang, source, script, script_source)
  local want_sid = entry.service_id and conf.set_service_id
  local want_lang = lang and source == "detected" and conf.write_source_language
  local want_script = script and script_source == "detected" and conf.write_source_script
                      and plan.script_pid
  if not want_sid and not want_lang and not want_script then
    return
  end

  local res = load_body(conf, plan, state)
  if not res then
    return
  end

  if want_sid then
    local rec = res.values[plan.sid_pid]
    local sent = rec and rec.type == "string" and not blank(rec)
    want_sid = not sent or (conf.override_service_id
                            and (rec.truncated or rec.value ~= entry.service_id))
  end

  if state.out_of_band then
    -- a large body is not rewritten (see REWRITE_BYTES): the model goes out
    -- as a query argument or header instead, and a detected language or
    -- script is not written (they go out as headers only)
    if want_sid then
      deliver_service_id(conf, state, entry.service_id)
      state.service_id_delivered = conf.service_id_delivery
    end
    return
  end

  local edits = {}
  if want_sid then
    add_edit(plan, edits, res, plan.sid_pid, entry.service_id, "service id")
  end
  if want_lang and blank(res.values[plan.lang_pid]) then
    add_edit(plan, edits, res, plan.lang_pid, lang, "source language")
  end
  if want_script and blank(res.values[plan.script_pid]) then
    add_edit(plan, edits, res, plan.script_pid, script, "source script")
  end

  if #edits == 0 then
    return
  end

  local body, applied = jsonpath.apply(state.body, edits)
  if applied > 0 then
    kong.service.request.set_raw_body(body)
    state.rewritten = true
  end
end


---------------------------------------------------------------------------
-- access
---------------------------------------------------------------------------

-- a client's own X-Detected-Language, X-Detected-Script, X-Language-Confidence
-- and X-Language-Source never reach the backend (four calls, not a loop: a
-- loop here stops LuaJIT from compiling the request path around it)
local function clear_client_headers()
  local clear_header = kong.service.request.clear_header
  clear_header(HEADER_LANGUAGE)
  clear_header(HEADER_SOURCE)
  clear_header(HEADER_CONFIDENCE)
  clear_header(HEADER_SCRIPT)
end


-- A client's copies of our headers spelled with `_` (`X-Detected_Language`).
-- Kong sets `underscores_in_headers on` (kong/templates/nginx_kong.lua), and
-- kong.service.request.set_header / clear_header (ngx.req.set_header /
-- clear_header) compare names case-insensitively but `_` and `-` exactly, so
-- those copies would reach the backend next to ours. Found among the raw
-- header names: ngx.req.get_headers(0, true) returns all of them as sent (0:
-- no lua_max_req_headers cut, so a copy behind 100 other headers is found).
local function clear_other_spellings()
  local clear_header = kong.service.request.clear_header
  for name in pairs(get_request_headers(0, true)) do
    if find(name, "_", 1, true) and OWNED_HEADERS[(gsub(lower(name), "_", "-"))] then
      clear_header(name)
    end
  end
end


-- The plugin's headers, at the end of a routing that did not fail: each one
-- set or, when there is no value for it, the client's copy removed. A header
-- set needs no clearing first: kong.service.request.set_header replaces every
-- header of that name (kong/pdk/service/request.lua, request.set_header ->
-- ngx.req.set_header). A failed routing clears all four (access).
local function send_headers(conf, routed_by, lang, confidence, script)
  clear_other_spellings()
  if not conf.emit_headers then
    clear_client_headers()
    return
  end

  local service_request = kong.service.request
  service_request.set_header(HEADER_SOURCE, routed_by)
  if lang then
    service_request.set_header(HEADER_LANGUAGE, lang)
    service_request.set_header(HEADER_CONFIDENCE, confidence == 1 and "1.00" or fmt("%.2f", confidence))
  else
    service_request.clear_header(HEADER_LANGUAGE)
    service_request.clear_header(HEADER_CONFIDENCE)
  end
  if script then
    service_request.set_header(HEADER_SCRIPT, script)
  else
    service_request.clear_header(HEADER_SCRIPT)
  end
end


-- the fallback instead of `entry` when Kong's balancer for entry's upstream
-- has no healthy target (and the fallback's has)
local function healthy_entry(conf, plan, entry)
  local fallback = plan.fallback
  if not conf.health_fallback or entry == fallback or not entry.upstream
     or not fallback.upstream or fallback.upstream == entry.upstream
  then
    return entry
  end

  local ttl, now = conf.health_cache_seconds, ngx.now()
  if not health.unhealthy(entry.upstream, ttl, now) or health.unhealthy(fallback.upstream, ttl, now) then
    return entry
  end

  kong.log.notice("upstream '", entry.upstream, "' has no healthy target, using the fallback '",
                  fallback.upstream, "'")
  return fallback, entry.upstream
end


-- Everything after the decision: the upstream, the body write, the headers
-- and the report. A function of its own, because LuaJIT compiles it as a
-- trace of its own then: the code of `route` around it runs interpreted
-- (a trace that starts in `route` meets the scanner's loop and is given up,
-- one that starts in the scanner cannot return through `access`'s pcall).
local function finish(conf, plan, state, lang, source, confidence, script, script_source)
  -- a mapping with the script wins over the language's mapping without one
  local by_script = lang and plan.scripted[lang]
  local entry = by_script and script and by_script[script] or lang and plan.entries[lang]
  local routed_by = source
  local unhealthy
  if entry then
    entry, unhealthy = healthy_entry(conf, plan, entry)
    if unhealthy then
      routed_by = "fallback"
    end

  else
    entry = plan.fallback
    routed_by = "fallback"
  end

  if entry.upstream then
    local ok, err = kong.service.set_upstream(entry.upstream)
    if ok then
      state.upstream = entry.upstream
    else
      kong.log.err("could not switch to upstream '", sanitize(entry.upstream),
                   "', keeping the service's: ", clean(err))
    end
  end

  rewrite_body(conf, plan, state, entry, lang, source, script, script_source)

  send_headers(conf, routed_by, lang, confidence, script)

  kong.ctx.shared.language_router = {
    language = lang,
    source = routed_by,
    language_source = source,
    confidence = confidence,
    script = script,
    script_source = script_source,
    upstream = state.upstream,
    unhealthy_upstream = unhealthy,
    service_id = entry.service_id,
    service_id_delivered = state.service_id_delivered,
    body_rewritten = state.rewritten or false,
    body_spilled = state.spilled or false,
  }

  -- upstream names come from the configuration, not from the client
  kong.log.debug("language ", lang or "none", " (", routed_by, ") -> upstream ",
                 state.upstream or "unchanged")
end


local function route(conf, state)
  local plan = get_plan(conf)

  local lang, source, confidence, script = find_language(conf, plan, state)
  local script_source
  script, script_source = find_script(conf, plan, state, lang, source, script)
  finish(conf, plan, state, lang, source, confidence, script, script_source)
end


function LanguageRouter:access(conf)
  local state = {}
  local ok, err = pcall(route, conf, state)
  if not ok then
    kong.log.err("language-router error, request passed on as routed so far: ", clean(err))
    -- whatever was set before the error: the upstream really set, and no
    -- client header of ours
    pcall(clear_client_headers)
    pcall(clear_other_spellings)
    kong.ctx.shared.language_router = {
      source = "error",
      upstream = state.upstream,
      body_rewritten = state.rewritten or false,
    }
  end
end


return LanguageRouter
