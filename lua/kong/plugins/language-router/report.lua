-- language-router's report of a decision: its request headers to the backend
-- (X-Detected-Language, X-Language-Source, X-Language-Confidence,
-- X-Detected-Script), the kong.ctx.shared record other plugins read, and the
-- shape of error messages in log lines. A client's copies of the four headers
-- never reach the backend.

local request = require "kong.plugins.language-router.request"


local kong = kong
local pcall = pcall
local pairs = pairs
local ipairs = ipairs
local tostring = tostring
local get_request_headers = ngx.req.get_headers
local find = string.find
local sub = string.sub
local lower = string.lower
local gsub = string.gsub
local fmt = string.format

local sent = request.sent


local _M = {}


local HEADER_LANGUAGE = "X-Detected-Language"
local HEADER_SOURCE = "X-Language-Source"
local HEADER_CONFIDENCE = "X-Language-Confidence"
local HEADER_SCRIPT = "X-Detected-Script"
local HEADERS = { HEADER_LANGUAGE, HEADER_SOURCE, HEADER_CONFIDENCE, HEADER_SCRIPT }
-- the four, lower case with `_` read as `-` (see clear_other_spellings)
local OWNED_HEADERS = {}
for _, name in ipairs(HEADERS) do
  OWNED_HEADERS[lower(name)] = true
end


--- An error message made fit for a log line.
function _M.clean(msg)
  msg = tostring(msg)
  if #msg > 200 then
    msg = sub(msg, 1, 200) .. "..."
  end
  return (gsub(msg, "%c", "?"))
end


-- a client's own copies of the four headers never reach the backend
local function clear_client_headers()
  local clear_header = kong.service.request.clear_header
  for _, name in ipairs(HEADERS) do
    clear_header(name)
  end
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


-- whether the client sent any of the four headers, in any spelling: four
-- nginx variable reads, where the raw header scan of clear_other_spellings
-- builds a table of every header (most requests carry none of ours)
local function client_copies()
  for i = 1, #HEADERS do
    if sent(HEADERS[i]) then
      return true
    end
  end
  return false
end


-- The plugin's headers, at the end of a routing that did not fail: each one
-- set or, when there is no value for it, the client's copy removed (only
-- when the client sent one). A header set needs no clearing first:
-- kong.service.request.set_header replaces every header of that name
-- (kong/pdk/service/request.lua, request.set_header -> ngx.req.set_header).
-- A failed routing clears all four (see failed).
local function send_headers(conf, routed_by, lang, confidence, script)
  local copies = client_copies()
  if copies then
    clear_other_spellings()
  end
  if not conf.emit_headers then
    if copies then
      clear_client_headers()
    end
    return
  end

  local service_request = kong.service.request
  service_request.set_header(HEADER_SOURCE, routed_by)
  if lang then
    service_request.set_header(HEADER_LANGUAGE, lang)
    service_request.set_header(HEADER_CONFIDENCE, confidence == 1 and "1.00" or fmt("%.2f", confidence))
  elseif copies then
    service_request.clear_header(HEADER_LANGUAGE)
    service_request.clear_header(HEADER_CONFIDENCE)
  end
  if script then
    service_request.set_header(HEADER_SCRIPT, script)
  elseif copies then
    service_request.clear_header(HEADER_SCRIPT)
  end
end


--- The report of the decision kept in the request's `state` (language.find,
-- upstream.choose): the headers and kong.ctx.shared.language_router.
function _M.send(conf, state)
  local d = state
  send_headers(conf, d.routed_by, d.lang, d.confidence, d.script)

  kong.ctx.shared.language_router = {
    language = d.lang,
    source = d.routed_by,
    language_source = d.source,
    confidence = d.confidence,
    script = d.script,
    script_source = d.script_source,
    upstream = state.upstream,
    unhealthy_upstream = d.unhealthy,
    service_id = d.entry.service_id,
    service_id_delivered = state.service_id_delivered,
    body_rewritten = state.rewritten or false,
    body_spilled = state.spilled or false,
  }

  -- upstream names come from the configuration, not from the client
  kong.log.debug("language ", d.lang or "none", " (", d.routed_by, ") -> upstream ",
                 state.upstream or "unchanged")
end


--- The report of a routing that failed with `err`: the request goes on as
-- routed so far (the upstream really set), with no client header of ours.
function _M.failed(state, err)
  kong.log.err("language-router error, request passed on as routed so far: ", _M.clean(err))
  pcall(clear_client_headers)
  pcall(clear_other_spellings)
  kong.ctx.shared.language_router = {
    source = "error",
    upstream = state.upstream,
    body_rewritten = state.rewritten or false,
  }
end


return _M
