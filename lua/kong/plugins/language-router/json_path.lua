-- Dotted JSON paths for the language-router plugin: `a.b[0].c`,
-- `input[*].source`, `[1].x`, compiled one by one and as a set (a tree of the
-- paths' steps that json_scan.lua walks in one pass over a body, and the keys
-- json_edit.lua inserts when a value is missing).
--
-- Pure Lua: no `ngx`, no `kong`.

local cjson = require "cjson.safe"


local type = type
local find = string.find
local sub = string.sub
local tonumber = tonumber


local MAX_STEPS = 32         -- steps in one path
local MAX_PATHS = 32         -- paths in one set


local _M = {}

---------------------------------------------------------------------------
-- paths
---------------------------------------------------------------------------

--- Parses a dotted path: `a.b[0].c`, `input[*].source`, `[1].x`.
-- @return array of steps `{ key = "a" }`, `{ index = 0 }`, `{ any = true }`;
--   or nil, err
function _M.compile(path)
  if type(path) ~= "string" or path == "" then
    return nil, "path must be a non-empty string"
  end

  if #path > 512 then
    return nil, "path is too long"
  end

  local steps = {}
  local n = 0
  local pos = 1
  local len = #path
  local expect_name = true

  while pos <= len do
    local c = sub(path, pos, pos)
    if c == "[" then
      local close = find(path, "]", pos + 1, true)
      if not close then
        return nil, "unclosed '[' in path"
      end

      local inner = sub(path, pos + 1, close - 1)
      n = n + 1
      if inner == "*" then
        steps[n] = { any = true }

      elseif find(inner, "^%d+$") and #inner <= 9 then
        steps[n] = { index = tonumber(inner) }

      else
        return nil, "invalid index '[" .. inner .. "]' in path"
      end

      pos = close + 1
      expect_name = false

    elseif c == "." then
      if pos == 1 or pos == len or sub(path, pos + 1, pos + 1) == "." then
        return nil, "empty name in path"
      end

      pos = pos + 1
      expect_name = true

    else
      if not expect_name then
        return nil, "expected '.' or '[' in path"
      end

      local stop = find(path, "[%.%[%]]", pos) or len + 1
      if sub(path, stop, stop) == "]" then
        return nil, "unexpected ']' in path"
      end

      n = n + 1
      steps[n] = { key = sub(path, pos, stop - 1) }
      pos = stop
      expect_name = false
    end

    if n > MAX_STEPS then
      return nil, "path has more than " .. MAX_STEPS .. " steps"
    end
  end

  if n == 0 then
    return nil, "empty path"
  end

  return steps
end


--- Validator for schema fields holding a path (`true` or `nil, err`).
function _M.validate(path)
  local steps, err = _M.compile(path)
  if not steps then
    return nil, err
  end

  return true
end


local function new_node(depth)
  return { depth = depth, paths = {}, cont = {}, terms = {} }
end


local function add_unique(list, v)
  for i = 1, #list do
    if list[i] == v then
      return
    end
  end
  list[#list + 1] = v
end


local merge


-- merges the children of `src` under `field` (keys or idx) into those of `dst`
local function merge_children(dst, src, field)
  local from = src[field]
  if not from then
    return
  end

  local into = dst[field] or {}
  dst[field] = into
  for k, child in pairs(from) do
    into[k] = into[k] or new_node(child.depth)
    merge(into[k], child)
  end
end


-- merges the subtree `src` into `dst` (a `[*]` subtree into an `[N]` sibling)
merge = function(dst, src)
  for _, pid in ipairs(src.paths) do add_unique(dst.paths, pid) end
  for _, pid in ipairs(src.cont) do add_unique(dst.cont, pid) end
  for _, pid in ipairs(src.terms) do add_unique(dst.terms, pid) end

  merge_children(dst, src, "keys")
  merge_children(dst, src, "idx")

  if src.any then
    dst.any = dst.any or new_node(src.any.depth)
    merge(dst.any, src.any)
  end
end


local function fix_wildcards(node)
  if node.any and node.idx then
    for _, child in pairs(node.idx) do
      merge(child, node.any)
    end
  end

  if node.keys then
    for _, child in pairs(node.keys) do fix_wildcards(child) end
  end

  if node.idx then
    for _, child in pairs(node.idx) do fix_wildcards(child) end
  end

  if node.any then
    fix_wildcards(node.any)
  end
end


-- numbers the nodes and precomputes what the scanner needs per node:
-- `id`; `slot` when a plain path goes on below it (where it is gets recorded
-- in the scan's `at` for plan_set; `set.slots` of them); `lens` (the lengths
-- of its wanted keys); `resets` (the plain paths below it) and `reset_slots`
-- (the slots from it down), which a repeated key forgets. `set.chains[pid]`:
-- the nodes of plain path pid, from the root (depth 0) to its end.
-- `set.json_keys`: each key, encoded.
local function index_nodes(set)
  local n = 0
  local slots = 0
  local function number(node)
    n = n + 1
    node.id = n
    node.resets = {}
    node.reset_slots = {}
    for _, pid in ipairs(node.cont) do
      if not set.wild[pid] and not node.slot then
        slots = slots + 1
        node.slot = slots
      end
    end
    if node.keys then
      node.lens = {}
      for key, child in pairs(node.keys) do
        node.lens[#key] = true
        number(child)
      end
    end
    if node.idx then
      for _, child in pairs(node.idx) do number(child) end
    end
    if node.any then
      number(node.any)
    end
  end
  number(set.root)
  set.slots = slots

  set.json_keys = {}
  set.chains = {}
  set.inserts = {}
  set.wild_pids = {}
  for pid = 1, set.count do
    if set.wild[pid] then
      set.wild_pids[#set.wild_pids + 1] = pid

    else
      local node = set.root
      local chain = { node }
      for d, step in ipairs(set.steps[pid]) do
        if step.key then
          set.json_keys[step.key] = cjson.encode(step.key)
        end
        node = step.key and node.keys[step.key] or node.idx[step.index]
        chain[d + 1] = node
      end
      set.chains[pid] = chain

      -- the keys plan_set inserts below the object reached after d steps
      -- (encoded, from step d + 1 on), or false when a missing step is an
      -- array index: made here so that planning a write runs no loop
      local steps = set.steps[pid]
      local inserts = {}
      for d = 0, #steps - 1 do
        local keys = {}
        for i = d + 1, #steps do
          local key = steps[i].key
          if not key then
            keys = false
            break
          end
          keys[#keys + 1] = set.json_keys[key]
        end
        inserts[d] = keys
      end
      set.inserts[pid] = inserts

      for a = 1, #chain do
        add_unique(chain[a].resets, pid)
        for d = a, #chain do
          if chain[d].slot then
            add_unique(chain[a].reset_slots, chain[d].slot)
          end
        end
      end
    end
  end
end


--- Compiles a list of paths into one scan plan.
-- @param paths array of path strings
-- @return set, or nil, err (the first invalid path)
function _M.compile_set(paths)
  if type(paths) ~= "table" then
    return nil, "paths must be an array"
  end

  if #paths > MAX_PATHS then
    return nil, "more than " .. MAX_PATHS .. " paths"
  end

  local root = new_node(0)
  local set = { root = root, steps = {}, wild = {}, names = {}, count = #paths }

  for pid = 1, #paths do
    local steps, err = _M.compile(paths[pid])
    if not steps then
      return nil, "invalid path '" .. tostring(paths[pid]) .. "': " .. err
    end

    set.steps[pid] = steps
    set.names[pid] = paths[pid]

    local node = root
    add_unique(node.paths, pid)
    for d = 1, #steps do
      local step = steps[d]
      add_unique(node.cont, pid)
      local child
      if step.key then
        node.keys = node.keys or {}
        child = node.keys[step.key]
        if not child then
          child = new_node(d)
          node.keys[step.key] = child
        end

      elseif step.index then
        node.idx = node.idx or {}
        child = node.idx[step.index]
        if not child then
          child = new_node(d)
          node.idx[step.index] = child
        end
        node.max_idx = (node.max_idx and node.max_idx > step.index) and node.max_idx or step.index

      else
        set.wild[pid] = true
        child = node.any
        if not child then
          child = new_node(d)
          node.any = child
        end
      end

      add_unique(child.paths, pid)
      node = child
    end

    add_unique(node.terms, pid)
  end

  fix_wildcards(root)
  index_nodes(set)

  return set
end


return _M
