-- Edits of a JSON text at paths found by json_scan.lua: a value replaced,
-- or missing keys inserted into the deepest object on the path, spliced into
-- the raw text (the rest of the text is kept byte for byte: no re-encoding).
--
-- Pure Lua: no `ngx`, no `kong`.

local type = type
local sub = string.sub
local concat = table.concat


local _M = {}


--- Plans writing `json` (an encoded JSON value) at path `pid`.
-- Replaces the existing value, or inserts the missing keys into the deepest
-- existing object on the path. Fails when a step on the way is not an object,
-- or a missing step is an array index or a wildcard.
-- @return edit, or nil, err
function _M.plan_set(result, pid, json)
  local set = result.set
  local steps = set.steps[pid]
  if not steps or set.wild[pid] then
    return nil, "not a plain path"
  end

  local rec = result.values[pid]
  if rec then
    return { first = rec.first, last = rec.last, text = json }
  end

  -- at[chain[d + 1].slot]: position of the object reached after d steps,
  -- "array" for an array passed through, false for a value of the wrong
  -- type, nil when not reached
  local chain, at, n = set.chains[pid], result, #steps
  local d
  if type(at[chain[n].slot]) == "number" then
    -- the usual case: the object the last key goes into is there (then so is
    -- every object on the way to it)
    d = n - 1
  else
    d = -1
    while d + 1 < n and at[chain[d + 2].slot] do
      d = d + 1
    end
  end

  if d < 0 or (d + 1 < n and at[chain[d + 2].slot] == false) then
    return nil, "'" .. set.names[pid] .. "': a value on the way is not an object"
  end

  local anchor = at[chain[d + 1].slot]
  if type(anchor) ~= "number" then
    return nil, "'" .. set.names[pid] .. "': cannot create an array element"
  end

  local keys = set.inserts[pid][d]  -- (shared by the edits: apply only reads it)
  if not keys then
    return nil, "'" .. set.names[pid] .. "': cannot create an array element"
  end

  return {
    at = anchor + 1,                   -- right after the object's '{'
    nonempty = not at[set.slots + chain[d + 1].slot],
    keys = keys,                       -- encoded
    text = json,
  }
end


-- serialises an insertion tree: ordered `{ {key (encoded), text|subtree}, ... }`
local function render_tree(tree)
  local parts = {}
  for i = 1, #tree do
    local ek, v = tree[i][1], tree[i][2]
    if type(v) == "table" then
      parts[i] = ek .. ":{" .. render_tree(v) .. "}"
    else
      parts[i] = ek .. ":" .. v
    end
  end
  return concat(parts, ",")
end


local function tree_add(tree, keys, k, text)
  local key = keys[k]
  for i = 1, #tree do
    if tree[i][1] == key then
      local v = tree[i][2]
      if k == #keys or type(v) ~= "table" then
        return false -- conflicting writes
      end
      return tree_add(v, keys, k + 1, text)
    end
  end

  if k == #keys then
    tree[#tree + 1] = { key, text }
  else
    local sub_tree = {}
    tree[#tree + 1] = { key, sub_tree }
    tree_add(sub_tree, keys, k + 1, text)
  end

  return true
end


local function apply_one(s, ed)
  if not ed.at then
    return sub(s, 1, ed.first - 1) .. ed.text .. sub(s, ed.last + 1), 1
  end

  local keys = ed.keys
  local n = #keys
  local text = ed.text
  for i = n, 2, -1 do
    text = "{" .. keys[i] .. ":" .. text .. "}"
  end
  return sub(s, 1, ed.at - 1) .. keys[1] .. ":" .. text .. (ed.nonempty and "," or "") .. sub(s, ed.at), 1
end


--- Applies edits from `plan_set` to `s` in one pass.
-- Overlapping or conflicting edits are dropped (the first planned one wins).
-- @return the new text, and the number of edits applied
function _M.apply(s, edits)
  if #edits == 1 then
    return apply_one(s, edits[1])
  end

  -- ops by position, those at one position in the order planned: kept in
  -- order as they come (a few edits: no table.sort, whose Lua comparator
  -- LuaJIT cannot compile; see detect.lua, JIT)
  local ops, nops = {}, 0   -- { pos, last, text } or { pos, last, grp }
  local inserts = {}        -- at -> { tree, nonempty, n }

  for i = 1, #edits do
    local ed = edits[i]
    local op
    if ed.at then
      local grp = inserts[ed.at]
      if not grp then
        grp = { tree = {}, nonempty = ed.nonempty, n = 0 }
        inserts[ed.at] = grp
        op = { pos = ed.at, last = ed.at - 1, grp = grp }
      end
      if tree_add(grp.tree, ed.keys, 1, ed.text) then
        grp.n = grp.n + 1
      end

    else
      op = { pos = ed.first, last = ed.last, text = ed.text }
    end

    if op then
      local j = nops
      while j > 0 and ops[j].pos > op.pos do
        ops[j + 1] = ops[j]
        j = j - 1
      end
      ops[j + 1] = op
      nops = nops + 1
    end
  end

  local out = {}
  local n = 0
  local cursor = 1
  local applied = 0
  for i = 1, #ops do
    local op = ops[i]
    if op.pos >= cursor then
      n = n + 1
      out[n] = sub(s, cursor, op.pos - 1)
      if op.grp then
        if op.grp.n > 0 then
          n = n + 1
          out[n] = render_tree(op.grp.tree) .. (op.grp.nonempty and "," or "")
          applied = applied + op.grp.n
        end

      else
        n = n + 1
        out[n] = op.text
        applied = applied + 1
      end
      cursor = op.last + 1
    end
  end

  n = n + 1
  out[n] = sub(s, cursor)

  return concat(out, "", 1, n), applied
end


return _M
