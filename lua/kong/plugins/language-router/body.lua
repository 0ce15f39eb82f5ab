-- language-router's body step: reads the request body once per request and
-- scans it for the plan's paths, never decoding it (see json_scan.lua), also
-- a small one. A large body (above REWRITE_BYTES in memory, or spilled by
-- nginx to a temporary file) is read in chunks, only as far as the wanted
-- paths need (see json_scan.scan_chunks), and is marked `out_of_band`: it is never
-- rewritten, the model goes out as a query argument or header.

local json_scan = require "kong.plugins.language-router.json_scan"
local languages = require "kong.plugins.language-router.languages"
local report = require "kong.plugins.language-router.report"
local request = require "kong.plugins.language-router.request"


local kong = kong
local ngx = ngx
local io_open = io.open
local type = type
local pcall = pcall
local ipairs = ipairs
local tostring = tostring
local tonumber = tonumber
local find = string.find
local sub = string.sub
local lower = string.lower
local byte = string.byte
local concat = table.concat

local normalize = languages.normalize
local normalize_script = languages.normalize_script
local clean = report.clean
local header = request.header


local DETECT_BYTES = 2048          -- text handed to the detector, at most
local SCAN_OPTS = { capture = DETECT_BYTES, text = DETECT_BYTES }
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
-- second copy (json_edit.apply) and set_raw_body a third in the request's
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


local _M = {}

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
  local ok, res, err = pcall(json_scan.scan_chunks, read, plan.set, opts)
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

  local read, close = json_scan.file_reader(path, CHUNK_BYTES)
  if not read then
    return nil, close
  end

  local res, rerr = scan_chunks(plan, read)
  close()
  return res, rerr
end


-- A large in-memory body, from its prefix `head` (see _M.load);
-- the whole body is copied from nginx's buffers only when the prefix does
-- not settle the wanted paths (see REWRITE_BYTES).
local function scan_memory(plan, head, max)
  local read = json_scan.string_reader(head, CHUNK_BYTES)
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
    read = json_scan.string_reader(whole, CHUNK_BYTES, #head)
    return read()
  end)
end


--- Reads and scans the body once per request: the scan (json_scan.scan),
-- nil when the body is not usable.
function _M.load(conf, plan, state)
  if state.body_loaded then
    return state.scan
  end
  state.body_loaded = true

  if not plan.set then
    return nil
  end

  if not is_json(header("Content-Type")) then
    return nil
  end

  local max = conf.max_body_bytes
  local declared = tonumber(header("Content-Length"))
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

  local res, serr = json_scan.scan(body, plan.set, SCAN_OPTS)
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


--- The text of the body the detector gets; nil when there is none.
function _M.text(conf, plan, state)
  local res = _M.load(conf, plan, state)
  local text = res and detect_text(plan, res)
  if text and text ~= "" then
    return text
  end
  return nil
end


return _M
