-- The body reading and writing of the language-router done the plain way, for
-- router_bench.lua: the interface of json_scan.lua and json_edit.lua that the
-- handler uses on an in-memory body (`scan`, `plan_set`, `apply`), built on cjson. `scan` decodes
-- the whole text and walks the decoded table; `apply` sets the values in that
-- table and encodes all of it again. The bench loads a second copy of the
-- handler with this module in place of those two, so the two plugins do the
-- same work and differ only in how they read and write the body.
--
-- Bench-only: it loses the order of keys and the spelling of numbers, which
-- the plugin's splicing keeps.

local cjson = require "cjson.safe"
local json_scan = require "kong.plugins.language-router.json_scan"

local decode = cjson.decode
local encode = cjson.encode
local null = cjson.null
local type = type


local _M = setmetatable({}, { __index = json_scan })  -- MAX_DEPTH etc.


-- the scanner's name for the type of a decoded value
local function json_type(v)
  local t = type(v)
  if t == "table" then
    return v[1] ~= nil and "array" or "object"
  elseif t == "boolean" then
    return v and "true" or "false"
  elseif v == null then
    return "null"
  end
  return t
end


-- collects the strings reached by `steps` from step `d` on into `list`
local function collect(v, steps, d, list)
  local step = steps[d]
  if not step then
    if type(v) == "string" and v ~= "" then
      list[#list + 1] = v
    end
    return
  end
  if type(v) ~= "table" then
    return
  end

  if step.any then
    for i = 1, #v do
      collect(v[i], steps, d + 1, list)
    end
  elseif step.index then
    collect(v[step.index + 1], steps, d + 1, list)
  else
    collect(v[step.key], steps, d + 1, list)
  end
end


local function walk(v, steps)
  for d = 1, #steps do
    if type(v) ~= "table" then
      return nil
    end
    local step = steps[d]
    v = v[step.key or step.index + 1]
  end
  return v
end


function _M.scan(s, set)
  local doc = decode(s)
  if doc == nil then
    return nil, "invalid JSON"
  end

  local values = {}
  for pid = 1, set.count do
    local steps = set.steps[pid]
    if set.wild[pid] then
      local list = {}
      collect(doc, steps, 1, list)
      values[pid] = list
    else
      local v = walk(doc, steps)
      if v ~= nil then
        values[pid] = { type = json_type(v), value = type(v) == "string" and v or nil,
                        length = type(v) == "string" and #v or nil }
      end
    end
  end

  return { set = set, values = values, doc = doc }
end


-- the written value is kept decoded (once per text: the handler writes the
-- same few values again and again)
local decoded = {}

function _M.plan_set(result, pid, json)
  local v = decoded[json]
  if v == nil then
    v = decode(json)
    decoded[json] = v
  end
  return { doc = result.doc, steps = result.set.steps[pid], value = v }
end


function _M.apply(_, edits)
  local doc = edits[1].doc
  for i = 1, #edits do
    local ed = edits[i]
    local steps = ed.steps
    local t = doc
    for d = 1, #steps - 1 do
      local key = steps[d].key
      local nxt = t[key]
      if type(nxt) ~= "table" then
        nxt = {}
        t[key] = nxt
      end
      t = nxt
    end
    t[steps[#steps].key] = ed.value
  end
  return encode(doc), #edits
end


return _M
