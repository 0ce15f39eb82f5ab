-- language-router's rewrite step: writes the model (ULCA `serviceId`) and a
-- detected language or script into the body, spliced into its raw text at
-- the scanned paths (json_edit.lua). A large body
-- (body.lua, `out_of_band`) is not rewritten: the model goes out as a query
-- argument or header (`service_id_delivery`).

local cjson = require "cjson.safe"
local body = require "kong.plugins.language-router.body"
local json_edit = require "kong.plugins.language-router.json_edit"
local report = require "kong.plugins.language-router.report"


local kong = kong
local ngx = ngx
local concat = table.concat
local escape_uri = ngx.escape_uri
local unescape_uri = ngx.unescape_uri
local find = string.find
local gmatch = string.gmatch
local gsub = string.gsub
local sub = string.sub

local load_body = body.load
local clean = report.clean

local SERVICE_ID_ARG = "serviceId"  -- Dhruva's inference API: ?serviceId=


local _M = {}


-- a JSON string for `s` (cjson escapes '/', which is legal but noisy)
local function json_string(s)
  return (gsub(cjson.encode(s), "\\/", "/"))
end

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
  local edit, err = json_edit.plan_set(res, pid, json)
  if edit then
    edits[#edits + 1] = edit
  else
    kong.log.debug(what, " not written: ", clean(err))
  end
end


local function deliver_service_id(conf, service_id)
  if conf.service_id_delivery == "header" then
    kong.service.request.set_header(conf.service_id_header, service_id)
    return
  end

  -- the client's arguments as sent, any `serviceId` of theirs replaced by
  -- the model, last
  local kept, n = {}, 0
  local raw = ngx.var.args
  if raw and raw ~= "" then
    for pair in gmatch(raw, "[^&]+") do
      local eq = find(pair, "=", 1, true)
      if unescape_uri(eq and sub(pair, 1, eq - 1) or pair) ~= SERVICE_ID_ARG then
        n = n + 1
        kept[n] = pair
      end
    end
  end
  n = n + 1
  kept[n] = SERVICE_ID_ARG .. "=" .. escape_uri(service_id)
  local query = concat(kept, "&", 1, n)
  -- both, in this order: see identity-guard's handler.lua, strip_query
  ngx.var.args = query
  kong.service.request.set_raw_query(query)
end


--- Writes the decision in `state` (language.find, upstream.choose) into the
-- body, as far as the configuration asks.
function _M.body(conf, plan, state)
  local entry, lang, script = state.entry, state.lang, state.script
  local want_sid = entry.service_id and conf.set_service_id
  local want_lang = lang and state.source == "detected" and conf.write_source_language
  local want_script = script and state.script_source == "detected" and conf.write_source_script
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
    -- a large body is not rewritten (see body.lua, REWRITE_BYTES): the model goes out
    -- as a query argument or header instead, and a detected language or
    -- script is not written (they go out as headers only)
    if want_sid then
      deliver_service_id(conf, entry.service_id)
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

  local text, applied = json_edit.apply(state.body, edits)
  if applied > 0 then
    kong.service.request.set_raw_body(text)
    state.rewritten = true
  end
end


return _M
