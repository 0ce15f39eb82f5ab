-- Streaming JSON path scanner for the language-router plugin (paths compiled
-- by json_path.lua, edits planned on its result by json_edit.lua).
--
-- Finds a few values (e.g. `config.language.sourceLanguage`, `config.serviceId`,
-- `input[*].source`) in a JSON text without decoding it: the scanner walks the
-- text with `string.find`, descends only into the objects and arrays on the
-- wanted paths and skips everything else (a megabyte of base64 audio costs one
-- plain `find` for its closing quote). It also records where each wanted value
-- is, or where it would go, so a new value can be spliced into the raw text
-- instead of re-encoding the whole body. One loop over an explicit stack (no
-- recursion), and per scan the result, its `values` and one list per
-- wildcard path as the only tables besides one per recorded value
-- (router_bench.lua compares it with cjson.decode).
--
-- Semantics follow common JSON parsers: for a duplicated key the last one wins.
-- Malformed, truncated or too deeply nested input makes `scan` return
-- `nil, err`; it never raises a Lua error for any input string.
--
-- The same scanner reads a text too large to hold in memory (a body nginx
-- spilled to a file) chunk by chunk: `scan_chunks`, at the end of this file.
--
-- LuaJIT: no `ngx`, no `kong`; FFI for the chunks (memchr, read(2)).

local json_path = require "kong.plugins.language-router.json_path"

local new_tab
do
  local ok, mod = pcall(require, "table.new")
  new_tab = ok and mod or function() return {} end
end


local type = type
local find = string.find
local sub = string.sub
local byte = string.byte
local char = string.char
local concat = table.concat
local tonumber = tonumber
local floor = math.floor


local B_QUOTE = byte('"')
local B_BSLASH = byte("\\")
local B_LBRACE = byte("{")
local B_RBRACE = byte("}")
local B_LBRACKET = byte("[")
local B_RBRACKET = byte("]")
local B_COLON = byte(":")
local B_COMMA = byte(",")


local MAX_DEPTH = 512        -- nesting allowed anywhere in the document
local DEFAULT_CAPTURE = 256  -- bytes of a wanted string value that are decoded
local DEFAULT_TEXT = 2048    -- bytes of wildcard strings captured in total


local _M = {
  MAX_DEPTH = MAX_DEPTH,
}

---------------------------------------------------------------------------
-- string decoding
---------------------------------------------------------------------------

local ESCAPES = {
  ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f",
  n = "\n", r = "\r", t = "\t",
}


local function utf8_char(cp)
  if cp < 0x80 then
    return char(cp)
  elseif cp < 0x800 then
    return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40)
  elseif cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000),
                0x80 + floor(cp / 0x40) % 0x40,
                0x80 + cp % 0x40)
  end
  return char(0xF0 + floor(cp / 0x40000),
              0x80 + floor(cp / 0x1000) % 0x40,
              0x80 + floor(cp / 0x40) % 0x40,
              0x80 + cp % 0x40)
end


local REPLACEMENT = "\239\191\189" -- U+FFFD


--- Decodes the raw content of a JSON string (between the quotes).
-- @return the string, or nil for an invalid escape
local function unescape(raw)
  if not find(raw, "\\", 1, true) then
    return raw
  end

  local out = {}
  local n = 0
  local p = 1
  while true do
    local b = find(raw, "\\", p, true)
    if not b then
      n = n + 1
      out[n] = sub(raw, p)
      break
    end

    if b > p then
      n = n + 1
      out[n] = sub(raw, p, b - 1)
    end

    local c = sub(raw, b + 1, b + 1)
    if c == "u" then
      local hex = sub(raw, b + 2, b + 5)
      if not find(hex, "^%x%x%x%x$") then
        return nil
      end

      local cp = tonumber(hex, 16)
      p = b + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = sub(raw, p, p + 5)
        if find(lo, "^\\u[dD][c-fC-F]%x%x$") then
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (tonumber(sub(lo, 3), 16) - 0xDC00)
          p = p + 6
        else
          cp = nil
        end

      elseif cp >= 0xDC00 and cp <= 0xDFFF then
        cp = nil
      end

      n = n + 1
      out[n] = cp and utf8_char(cp) or REPLACEMENT

    else
      local r = ESCAPES[c]
      if not r then
        return nil
      end

      n = n + 1
      out[n] = r
      p = b + 2
    end
  end

  return concat(out, "", 1, n)
end

_M.unescape = unescape


-- decodes at most `cap` bytes of raw string content; a cut escape is dropped
local function decode_capped(s, from, to, cap)
  local truncated = false
  if to - from + 1 > cap then
    to = from + cap - 1
    truncated = true
  end

  local raw = sub(s, from, to)
  local v = unescape(raw)
  if v or not truncated then
    return v, truncated
  end

  -- the cut fell inside an escape sequence: drop from the last backslash on
  local last
  local p = 1
  while true do
    local b = find(raw, "\\", p, true)
    if not b then break end
    last = b
    p = b + 1
  end

  if last then
    return unescape(sub(raw, 1, last - 1)) or "", true
  end

  return "", true
end


---------------------------------------------------------------------------
-- scanning
---------------------------------------------------------------------------

-- true while `scan_chunks` runs the scanner on a window of a chunked text:
-- the end of the window is then not the end of the text
local CHUNKED = false


local B_SPACE = byte(" ")
local B_TAB = byte("\t")
local B_CR = byte("\r")
local B_LF = byte("\n")


-- position of the next non-whitespace byte, or nil at the end
-- (byte loops, not patterns: string.byte is compiled by the JIT, find with a
-- pattern is not)
local function skip_ws(s, pos)
  local c = byte(s, pos)
  while c == B_SPACE or c == B_LF or c == B_CR or c == B_TAB do
    pos = pos + 1
    c = byte(s, pos)
  end
  if c then
    return pos
  end
  return nil
end


-- `pos` is at an opening quote; returns the position of the closing quote
local function string_end(s, pos)
  local p = pos + 1
  while true do
    local q = find(s, '"', p, true)
    if not q then
      return nil
    end

    local k = q - 1
    while byte(s, k) == B_BSLASH do
      k = k - 1
    end

    if (q - 1 - k) % 2 == 0 then
      return q
    end

    p = q + 1
  end
end


-- skips the rest of a container whose opening bracket (`opener`, a byte) is
-- before `pos`; returns the position after its closing bracket
local function skip_rest(s, pos, opener, depth)
  local stack = { opener }
  local top = 1
  local p = pos
  while true do
    local c = byte(s, p)
    if not c then
      return nil, "truncated"
    end

    if c == B_QUOTE then
      p = string_end(s, p)
      if not p then
        return nil, "unterminated string"
      end

    elseif c == B_LBRACE or c == B_LBRACKET then
      top = top + 1
      if depth + top > MAX_DEPTH then
        return nil, "too deeply nested"
      end
      stack[top] = c

    elseif c == B_RBRACE or c == B_RBRACKET then
      local want = c == B_RBRACE and B_LBRACE or B_LBRACKET
      if stack[top] ~= want then
        return nil, "mismatched bracket"
      end

      stack[top] = nil
      top = top - 1
      if top == 0 then
        return p + 1
      end
    end

    p = p + 1
  end
end


local LITERALS = { ["true"] = "boolean", ["false"] = "boolean", ["null"] = "null" }


local DELIMITERS = {
  [B_COMMA] = true, [B_RBRACKET] = true, [B_RBRACE] = true, [B_COLON] = true,
  [B_SPACE] = true, [B_TAB] = true, [B_CR] = true, [B_LF] = true,
}


-- end position (exclusive) and type of the scalar at `pos`
local function scalar_end(s, pos)
  local p = pos
  local c = byte(s, p)
  while c and not DELIMITERS[c] do
    p = p + 1
    c = byte(s, p)
  end

  if not c and CHUNKED then
    return nil, "truncated" -- it may go on in the next chunk
  end
  local stop = p - 1
  if stop < pos then
    return nil, "unexpected character"
  end

  local tok = sub(s, pos, stop)
  local t = LITERALS[tok]
  if not t then
    if not find(tok, "^-?%d+%.?%d*[eE]?[-+]?%d*$") then
      return nil, "invalid value"
    end
    t = "number"
  end

  return stop + 1, t
end


-- skips one value at `pos` (a non-whitespace byte); returns the next position
local function skip_value(s, pos, depth)
  local c = byte(s, pos)
  if c == B_QUOTE then
    local e = string_end(s, pos)
    if not e then
      return nil, "unterminated string"
    end
    return e + 1, "string"

  elseif c == B_LBRACE then
    local e, err = skip_rest(s, pos + 1, B_LBRACE, depth)
    return e, err or "object"

  elseif c == B_LBRACKET then
    local e, err = skip_rest(s, pos + 1, B_LBRACKET, depth)
    return e, err or "array"
  end

  return scalar_end(s, pos)
end


-- Scratch stacks of the scanner: per open container on a wanted path, its
-- node, whether it is an object, where it starts and the next array index.
-- Module-level (no allocation per scan): `scan` never yields and is never
-- re-entered.
local F_NODE, F_OBJ, F_POS, F_IDX = {}, {}, {}, {}


-- Per node id, the number of the last scan that entered it (module-level
-- too: no table per scan to clear).
local SEEN = {}
local scans = 0


-- a wanted key is met: when it was met before, last one wins, so forget
-- what the earlier occurrence recorded below it
local function enter(values, at, gen, child)
  local resets = child.resets
  if not resets[1] then
    return -- nothing to forget (wildcard paths only below: they collect all)
  end

  local id = child.id
  if SEEN[id] ~= gen then
    SEEN[id] = gen
    return
  end

  for i = 1, #resets do
    values[resets[i]] = nil
  end
  local slots = child.reset_slots
  for i = 1, #slots do
    at[slots[i]] = nil
  end
end


-- records the value at [pos, e) of type `t` for path `pid`; returns the
-- wildcard text budget left, or nil, err
local function record_path(values, wild, pid, s, pos, e, t, capture, text_left)
  if wild[pid] then
    if t == "string" and text_left > 0 then
      local v, truncated = decode_capped(s, pos + 1, e - 2, text_left)
      if not v and not truncated then
        return nil, "invalid escape in string"
      end
      if v and v ~= "" then
        local list = values[pid]
        list[#list + 1] = v
        text_left = text_left - #v
      end
    end
    return text_left
  end

  local v, truncated
  if t == "string" then
    v, truncated = decode_capped(s, pos + 1, e - 2, capture)
    if not v then
      return nil, "invalid escape in string"
    end
  end
  -- four keys in the constructor: LuaJIT sizes the record's hash part by
  -- them (4 slots instead of 8, a third less to allocate and collect per
  -- value); `truncated` is added only when true
  local rec = { type = t, first = pos, last = e - 1, value = v }
  if truncated then
    rec.truncated = true
  end
  values[pid] = rec
  return text_left
end


-- the same for every path ending at `node` (mostly one)
local function record(values, wild, node, s, pos, e, t, capture, text_left)
  local terms = node.terms
  local err
  for i = 1, #terms do
    text_left, err = record_path(values, wild, terms[i], s, pos, e, t, capture, text_left)
    if not text_left then
      break
    end
  end
  return text_left, err
end


-- scanner states
local VALUE = 1   -- a value for `node` starts at p
local KEY = 2     -- a key of the object on top starts at p
local ELEM = 3    -- an element of the array on top starts at p
local CLOSED = 4  -- the container on top ended right before p
local DONE = 5    -- the root value ended right before p
local AFTER = 6   -- (scan_chunks) a value in the container on top ended right before p


-- In a window of chunks, a string or container whose end is not in the
-- window is skipped byte by byte over the next chunks (see `skip_bytes`):
-- `run` fails with "skip", the value starting at SKIP_AT, and SKIP_KIND
-- saying what follows the skip. When the window ends after a value, `run`
-- fails with "after", SKIP_AT where the value ended.
local S_MEMBER = 1  -- a member no path wants; then AFTER
local S_VALUE = 2   -- the value of `node`, of a type not descended into; its record, then AFTER
local S_STRING = 3  -- a wanted string longer than `keep`: its first bytes recorded, then AFTER
local S_REST = 4    -- the rest of the array on top (no element wanted); then CLOSED
local SKIP_KIND, SKIP_AT = 0, 0
local KEEP = 0      -- (scan_chunks) bytes of a wanted string held in a window


local function cut_after(p)
  SKIP_AT = p
  return nil, "after"
end


-- after a value that ended right before `p`, in the container on top (an
-- object when `obj`): the next position and state, or nil, err
local function after(s, p, top, obj)
  if top == 0 then
    return p, DONE
  end

  local q = skip_ws(s, p)
  if not q then
    if CHUNKED then return cut_after(p) end
    return nil, "truncated"
  end

  local c = byte(s, q)
  if c == (obj and B_RBRACE or B_RBRACKET) then
    return q + 1, CLOSED
  end
  if c ~= B_COMMA then
    if CHUNKED then return cut_after(p) end
    return nil, obj and "expected ',' or '}'" or "expected ',' or ']'"
  end

  q = skip_ws(s, q + 1)
  if not q then
    if CHUNKED then return cut_after(p) end
    return nil, "truncated"
  end
  return q, obj and KEY or ELEM
end


-- Per node id, the number of the last scan that met it as a member of the
-- root object (scan_chunks: which root members have ended).
local ROOT_SEEN = {}


-- a member's value (of a key, or an element) at `p`: entered when `child`
-- wants it, else skipped together with the separator after it; the next
-- position and state, or nil, err
local function member(s, p, top, child, values, at, gen)
  if child then
    if top == 1 then
      ROOT_SEEN[child.id] = gen
    end
    enter(values, at, gen, child)
    return p, VALUE
  end

  local e, t = skip_value(s, p, top + 1)
  if not e then
    if CHUNKED then
      local c = byte(s, p)
      if c == B_QUOTE or c == B_LBRACE or c == B_LBRACKET then
        SKIP_KIND, SKIP_AT = S_MEMBER, p
        return nil, "skip"
      end
    end
    return nil, t
  end
  return after(s, e, top, F_OBJ[top])
end


-- One loop over an explicit stack, not recursion: LuaJIT compiles it (a
-- recursive descent aborts its traces and runs interpreted). Starts in
-- `state` at `p` with `node` and `top` frames (a window of chunks goes on
-- where the last one stopped). Returns the end of the root value, or nil,
-- err and, in a window of chunks, where the failing step started (p,
-- state, node, top) with the wildcard text budget left: the next window
-- starts there.
local function run(s, set, p, values, at, capture, text_left, node, top, state, gen)
  local wild = set.wild
  local n = set.slots
  local err

  while true do
    if state == VALUE then
      if top >= MAX_DEPTH then
        err = "too deeply nested"
        goto fail
      end

      local c = byte(s, p)
      if c == B_LBRACE and node.keys then
        local q = skip_ws(s, p + 1)
        if not q then
          err = "truncated"
          goto fail
        end
        local is_empty = byte(s, q) == B_RBRACE
        local slot = node.slot
        if slot then
          at[slot] = p
          at[n + slot] = is_empty
        end
        top = top + 1
        F_NODE[top], F_OBJ[top], F_POS[top] = node, true, p
        p = is_empty and q + 1 or q
        state = is_empty and CLOSED or KEY

      elseif c == B_LBRACKET and (node.idx or node.any) then
        local q = skip_ws(s, p + 1)
        if not q then
          err = "truncated"
          goto fail
        end
        if node.slot then
          at[node.slot] = "array"
        end
        top = top + 1
        F_NODE[top], F_OBJ[top], F_POS[top], F_IDX[top] = node, false, p, 0
        if byte(s, q) == B_RBRACKET then
          p = q + 1
          state = CLOSED
        else
          p = q
          state = ELEM
        end

      else
        -- paths that go on below this node are blocked
        if node.slot then
          at[node.slot] = false
        end
        local e, t = skip_value(s, p, top + 1)
        if not e then
          err = t
          if CHUNKED and (c == B_QUOTE or c == B_LBRACE or c == B_LBRACKET) then
            if c ~= B_QUOTE or not node.terms[1] then
              SKIP_KIND, SKIP_AT, err = S_VALUE, p, "skip"
            elseif #s - p > KEEP then
              SKIP_KIND, SKIP_AT, err = S_STRING, p, "skip"
            end
          end
          goto fail
        end
        if node.terms[1] then
          text_left, err = record(values, wild, node, s, p, e, t, capture, text_left)
          if not text_left then
            goto fail
          end
        end
        p, state = after(s, e, top, F_OBJ[top])
        if not p then
          err = state
          goto fail
        end
      end

    elseif state == KEY then
      if byte(s, p) ~= B_QUOTE then
        err = "expected a key"
        goto fail
      end

      -- keys are short: a byte loop (compiled) finds the end and any escape
      local ke = p + 1
      local escaped = false
      local c = byte(s, ke)
      while c ~= B_QUOTE do
        if not c then
          err = "unterminated key"
          goto fail
        end
        if c == B_BSLASH then
          escaped = true
          ke = ke + 1
        end
        ke = ke + 1
        c = byte(s, ke)
      end

      -- (a key of another length is not wanted: no string made for it)
      local parent = F_NODE[top]
      local child
      if escaped then
        local key = unescape(sub(s, p + 1, ke - 1))
        if not key then
          err = "invalid escape in key"
          goto fail
        end
        child = parent.keys[key]
      elseif parent.lens[ke - p - 1] then
        child = parent.keys[sub(s, p + 1, ke - 1)]
      end

      local q = skip_ws(s, ke + 1)
      if not q or byte(s, q) ~= B_COLON then
        err = "expected ':'"
        goto fail
      end
      q = skip_ws(s, q + 1)
      if not q then
        err = "truncated"
        goto fail
      end

      local next_state
      q, next_state = member(s, q, top, child, values, at, gen)
      if not q then
        err = next_state
        goto fail
      end
      p, state = q, next_state
      node = child or node

    elseif state == ELEM then
      local parent = F_NODE[top]
      local i = F_IDX[top]
      if not parent.any and i > (parent.max_idx or -1) then
        -- nothing more wanted in this array
        local e, serr = skip_rest(s, p, B_LBRACKET, top)
        if not e then
          err = serr
          if CHUNKED then
            SKIP_KIND, SKIP_AT, err = S_REST, p, "skip"
          end
          goto fail
        end
        p = e
        state = CLOSED

      else
        local child = parent.idx and parent.idx[i] or parent.any
        local q, next_state = member(s, p, top, child, values, at, gen)
        if not q then
          err = next_state
          goto fail
        end
        p, state = q, next_state
        F_IDX[top] = i + 1
        node = child or node
      end

    else -- CLOSED
      node = F_NODE[top]
      local from, obj = F_POS[top], F_OBJ[top]
      F_NODE[top] = nil
      top = top - 1
      if node.terms[1] then
        text_left, err = record(values, wild, node, s, from, p, obj and "object" or "array",
                                capture, text_left)
        if not text_left then
          goto fail
        end
      end
      p, state = after(s, p, top, F_OBJ[top])
      if not p then
        err = state
        goto fail
      end
    end

    if state == DONE then
      return p
    end
  end

  ::fail::
  return nil, err, p, state, node, top, text_left
end


--- Scans `s` once for every path of `set` (from `compile_set`).
-- @param s the JSON text
-- @param set compiled paths
-- @param opts optional `{ capture = bytes, text = bytes }`: how much of a wanted
--   string is decoded, and how many bytes of wildcard strings are kept in total
-- @return result `{ values = { [pid] = rec|list } }`, or nil, err. For a plain
--   path `values[pid]` is nil (absent) or `{ type, value (strings), first,
--   last, truncated (true when the value was cut at `capture`, else nil) }`;
--   for a wildcard path it is an array of strings. (Its array
--   part and `set` are for plan_set.)
function _M.scan(s, set, opts)
  if type(s) ~= "string" then
    return nil, "not a string"
  end

  local values = new_tab(set.count, 0)
  local wild_pids = set.wild_pids
  if wild_pids[1] then
    values[wild_pids[1]] = new_tab(4, 0)
    for i = 2, #wild_pids do
      values[wild_pids[i]] = new_tab(4, 0)
    end
  end

  local p = skip_ws(s, 1)
  if not p then
    return nil, "empty document"
  end

  -- per node slot (see index_nodes): [slot] where its object starts
  -- ("array" when it is an array passed through, false for a value of
  -- another type), [n + slot] true when that object is empty (n: set.slots).
  -- It is the result's own array part (one table less), read by plan_set.
  local at = new_tab(2 * set.slots, 2)
  scans = scans + 1
  local e, err = run(s, set, p, values, at,
                     opts and opts.capture or DEFAULT_CAPTURE, opts and opts.text or DEFAULT_TEXT,
                     set.root, 0, VALUE, scans)
  if not e then
    -- (an error can leave frames behind)
    for i = #F_NODE, 1, -1 do
      F_NODE[i] = nil
    end
    return nil, (err or "invalid JSON") .. " (near byte " .. p .. ")"
  end

  if skip_ws(s, e) then
    return nil, "trailing data after the JSON value"
  end

  at.set = set
  at.values = values
  return at
end


--- The value found for path number `pid` (see `scan`).
function _M.value(result, pid)
  return result.values[pid]
end


--- Convenience: the value at one path (tests, tooling).
-- @return rec (see `scan`) or nil; or nil, err for invalid input
function _M.get(s, path)
  local set, err = json_path.compile_set({ path })
  if not set then
    return nil, err
  end

  local res
  res, err = _M.scan(s, set)
  if not res then
    return nil, err
  end

  return res.values[1]
end


---------------------------------------------------------------------------
-- chunks: a text too large to hold in memory
---------------------------------------------------------------------------

-- A body nginx spilled to a temporary file arrives in chunks: byte buffers
-- (LuaJIT FFI), not Lua strings, so that reading 50 MiB leaves no 50 MiB of
-- garbage behind. `scan_chunks` runs the scanner above on windows of a few
-- KiB of a chunk; a string or container whose end is not in the window and
-- that no path looks into is skipped byte by byte over the chunks
-- (`skip_bytes`, the closing quote of a long string found with memchr); any
-- other step the window cut short is run again on a window starting where
-- it began (the bytes since then carried over, at most `limit` of them).

local ffi = require "ffi"

local C = ffi.C
-- libc under names of our own (asm redirection): Kong's own modules declare
-- `open`, `read` (kong/tools/rand.lua, with another return type) and others
-- may too; a second declaration of a name is an error in LuaJIT.
if not pcall(function() return C.kong_lr_read end) then
  ffi.cdef [[
    void *kong_lr_memchr(const void *s, int c, size_t n) __asm__("memchr");
    char *kong_lr_strerror(int errnum) __asm__("strerror");
    int kong_lr_open(const char *pathname, int flags, ...) __asm__("open");
    intptr_t kong_lr_read(int fd, void *buf, size_t count) __asm__("read");
    int kong_lr_close(int fd) __asm__("close");
  ]]
end

local u8p = ffi.typeof("const uint8_t *")
local ffi_string = ffi.string
local cast = ffi.cast
local O_RDONLY = 0
local CHUNK = 65536
local BUF = ffi.new("uint8_t[?]", CHUNK)   -- one per worker: a scan never yields

local WINDOW = 4096                 -- bytes of a chunk scanned as one Lua string
local DEFAULT_KEEP = 4096           -- bytes held of a wanted string
local DEFAULT_LIMIT = 1024 * 1024   -- bytes carried over between windows, at most


-- `raw` (string content cut at a byte count) without a cut escape at its end
local B_U = byte("u")


local function trim_escape(raw)
  local p = 1
  local n = #raw
  while true do
    local b = find(raw, "\\", p, true)
    if not b then
      return raw
    end

    local len = byte(raw, b + 1) == B_U and 6 or 2
    if b + len - 1 > n then
      return sub(raw, 1, b - 1)
    end
    p = b + len
  end
end


-- The value being skipped over the chunks: its open brackets SK[1..sk_top],
-- whether a string is open and its next byte escaped, and the depth around
-- it (module-level: one scan at a time).
local SK = {}
local sk_top, sk_str, sk_esc, sk_base = 0, false, false, 0


-- skips bytes c[i..n-1] (0-based) of the value being skipped, checked as
-- skip_rest checks them; returns the index after it, nil when it goes on
-- after `n`, or false, err
local function skip_bytes(c, i, n)
  while i < n do
    if sk_str then
      if sk_esc then
        sk_esc = false
        i = i + 1
      else
        local q = C.kong_lr_memchr(c + i, B_QUOTE, n - i)
        local e = q ~= nil and tonumber(cast(u8p, q) - c) or n
        local k = e - 1
        while k >= i and c[k] == B_BSLASH do
          k = k - 1
        end
        if q == nil then
          sk_esc = (e - 1 - k) % 2 == 1
          return nil
        end
        i = e + 1
        if (e - 1 - k) % 2 == 0 then
          sk_str = false
          if sk_top == 0 then
            return i
          end
        end
      end

    else
      local b = c[i]
      if b == B_QUOTE then
        sk_str = true
      elseif b == B_LBRACE or b == B_LBRACKET then
        sk_top = sk_top + 1
        if sk_top > 1 and sk_base + sk_top > MAX_DEPTH then
          return false, "too deeply nested"
        end
        SK[sk_top] = b
      elseif b == B_RBRACE or b == B_RBRACKET then
        if SK[sk_top] ~= (b == B_RBRACE and B_LBRACE or B_LBRACKET) then
          return false, "mismatched bracket"
        end
        sk_top = sk_top - 1
        if sk_top == 0 then
          return i + 1
        end
      end
      i = i + 1
    end
  end
  return nil
end


local function is_ws(c, i, n)
  while i < n do
    local b = c[i]
    if b ~= B_SPACE and b ~= B_LF and b ~= B_CR and b ~= B_TAB then
      return false
    end
    i = i + 1
  end
  return true
end


-- forgets the frames of a scan that stopped before its end
local function drop_frames()
  for i = #F_NODE, 1, -1 do
    F_NODE[i] = nil
  end
end


--- Scans the JSON text that `read()` returns chunk by chunk, holding only a
-- few KiB of it at a time: the values `scan` of the whole text finds (a
-- wanted string longer than `keep` bytes cut there; positions are of no use).
-- `opts.enough(res)` is called whenever a member of the root object has
-- ended (`res.settled[pid]` is true for the paths whose root member has
-- ended) and stops the reading when it returns true: a body whose `config`
-- comes first is read no further than `config`.
-- @param read function returning the next chunk as `pointer, length`; nil at
--   the end (or nil, err). See `file_reader` and `string_reader`.
-- @param set compiled paths (json_path.compile_set)
-- @param opts optional: `capture`, `text` (as `scan`), `keep` (bytes held of
--   a wanted string), `limit` (bytes of one step held over chunks), `enough(res)`
-- @return the result as `scan`'s (`res.complete` false when reading stopped
--   early), or nil, err
function _M.scan_chunks(read, set, opts)
  opts = opts or {}
  local keep = opts.keep or DEFAULT_KEEP
  local limit = opts.limit or DEFAULT_LIMIT
  local capture = opts.capture or DEFAULT_CAPTURE
  if capture > keep then
    capture = keep
  end
  local text_left = opts.text or DEFAULT_TEXT
  local want = opts.enough
  local wild = set.wild

  local values = new_tab(set.count, 0)
  local wild_pids = set.wild_pids
  for i = 1, #wild_pids do
    values[wild_pids[i]] = new_tab(4, 0)
  end
  local res = new_tab(2 * set.slots, 3)
  res.set = set
  res.values = values
  scans = scans + 1
  local gen = scans

  local node, top, state = set.root, 0, VALUE
  local carry = ""          -- the window's bytes not scanned yet
  local skipping = 0        -- S_* while a value is skipped over the chunks
  local prefix              -- (S_STRING) its first bytes
  local skip_type           -- (S_VALUE) its type
  local settled_n = 0       -- root members ended at the last `enough` call

  local function fail(err)
    drop_frames()
    return nil, err
  end

  -- runs the scanner on the window `s`
  local function window(s, final)
    local p = 1
    KEEP = keep
    CHUNKED = not final
    if state == AFTER then
      local q, st = after(s, 1, top, F_OBJ[top])
      if not q then
        CHUNKED = false
        return nil, st, 1
      end
      p, state = q, st
      if state == DONE then
        CHUNKED = false
        return p
      end
    elseif state == VALUE and top == 0 then
      p = skip_ws(s, 1) or #s + 1
    end
    local e, err, p0, state0, node0, top0, left = run(s, set, p, values, res, capture, text_left,
                                                      node, top, state, gen)
    CHUNKED = false
    if e then
      return e
    end
    node, top, state = node0, top0, state0
    text_left = left or text_left -- (nil after a record's error, which comes again)
    if err == "after" then
      -- the window ended after a value: the next one goes on from there
      if state == ELEM then
        F_IDX[top] = F_IDX[top] + 1
      end
      state = AFTER
      p0 = SKIP_AT
    end
    return nil, err, p0
  end

  -- the skipped value ended: the scanner goes on after it
  local function skipped()
    local kind = skipping
    skipping = 0
    if kind == S_REST then
      state = CLOSED
      return true
    end

    if state == ELEM then
      F_IDX[top] = F_IDX[top] + 1
    end
    state = AFTER
    if kind == S_STRING then
      local raw = '"' .. prefix .. '"'
      prefix = nil
      local left, err = record(values, wild, node, raw, 1, #raw + 1, "string", capture, text_left)
      if not left then
        return nil, err
      end
      text_left = left
      local terms = node.terms
      for i = 1, #terms do
        local rec = not wild[terms[i]] and values[terms[i]]
        if rec then
          rec.truncated = true
        end
      end
    elseif kind == S_VALUE and node.terms[1] then
      record(values, wild, node, nil, 0, 1, skip_type, capture, text_left)
    end
    return true
  end

  -- skips bytes c[i..n-1] of the value being skipped: the index after it
  -- (the scanner goes on there), nil when it goes on after `n`, or false, err
  local function skip(c, i, n)
    local j, err = skip_bytes(c, i, n)
    if j then
      local ok, rerr = skipped()
      if not ok then
        return false, rerr
      end
    end
    return j, err
  end

  -- whether `opts.enough` says to stop, asked when a root member has ended
  local function enough()
    if not want then
      return false
    end
    local open  -- the wanted root member in progress
    if top >= 2 then
      open = F_NODE[2]
    elseif top == 1 and (state == VALUE or skipping == S_VALUE or skipping == S_STRING) then
      open = node
    end
    local keys = set.root.keys
    local settled, n = {}, 0
    for pid = 1, set.count do
      local key = set.steps[pid][1].key
      local child = key and keys and keys[key]
      local ended = child and child ~= open and ROOT_SEEN[child.id] == gen or false
      settled[pid] = ended
      n = ended and n + 1 or n
    end
    if n <= settled_n then
      return false
    end
    settled_n = n
    res.settled = settled
    return want(res) == true
  end

  while true do
    local c, n = read()
    if not c then
      if n then
        return fail(n)
      end
      break
    end

    local i = 0
    while i < n do
      if skipping ~= 0 then
        local j, err = skip(c, i, n)
        if j == false then
          return fail(err)
        end
        i = j or n

      else
        local take = #carry < WINDOW and WINDOW or #carry
        if take > n - i then
          take = n - i
        end
        local s = carry .. ffi_string(c + i, take)
        i = i + take
        local e, err, p0 = window(s)
        carry = ""
        if e then
          -- the rest of the text may only be whitespace
          if skip_ws(s, e) then
            return fail("trailing data after the JSON value")
          end
          while c do
            if not is_ws(c, i, n) then
              return fail("trailing data after the JSON value")
            end
            c, n = read()
            i = 0
          end
          if n then
            return fail(n)
          end
          res.complete = true
          return res
        end

        if err == "skip" then
          skipping = SKIP_KIND
          sk_top, sk_str, sk_esc, sk_base = 0, false, false, top + 1
          if skipping == S_REST then
            SK[1], sk_top, sk_base = B_LBRACKET, 1, top
          elseif skipping == S_STRING then
            prefix = trim_escape(sub(s, SKIP_AT + 1, SKIP_AT + keep))
          elseif skipping == S_VALUE then
            local b = byte(s, SKIP_AT)
            skip_type = b == B_LBRACE and "object" or b == B_LBRACKET and "array" or "string"
          end
          local j, serr = skip(cast(u8p, s), SKIP_AT - 1, #s)
          if j == false then
            return fail(serr)
          end
          if j then
            carry = sub(s, j + 1)
          end

        else
          -- cut short by the window's end (or an error the next one shows again)
          carry = sub(s, p0)
          if #carry > limit then
            return fail("more than " .. limit .. " bytes on the wanted paths (" .. err .. ")")
          end
        end

        if enough() then
          drop_frames()
          res.complete = false
          return res
        end
      end
    end
  end

  -- the end of the text
  if skipping ~= 0 then
    return fail("truncated")
  end
  local e, err = window(carry, true)
  if not e then
    return fail(err)
  end
  if skip_ws(carry, e) then
    return fail("trailing data after the JSON value")
  end
  res.complete = true
  return res
end


--- A `read` function for `scan_chunks` over the file at `path`, `size` bytes a
-- chunk (at most 64 KiB), into one fixed buffer; and a function closing it.
-- @return read, close; or nil, err
function _M.file_reader(path, size)
  local fd = C.kong_lr_open(path, O_RDONLY)
  if fd < 0 then
    return nil, "cannot open " .. path .. ": " .. ffi_string(C.kong_lr_strerror(ffi.errno()))
  end

  size = size and size < CHUNK and size or CHUNK
  local closed = false
  local function close()
    if not closed then
      closed = true
      C.kong_lr_close(fd)
    end
  end

  local function read()
    local got = tonumber(C.kong_lr_read(fd, BUF, size))
    if got > 0 and got <= size then
      return BUF, got
    end
    if got ~= 0 then
      return nil, "read error: " .. ffi_string(C.kong_lr_strerror(ffi.errno()))
    end
    return nil
  end

  return read, close
end


--- A `read` function for `scan_chunks` over a Lua string, `size` bytes a chunk,
-- from byte `from` + 1 (0: the start).
function _M.string_reader(s, size, from)
  local keep = s    -- referenced by the closure: its bytes stay alive
  local base = cast(u8p, keep)
  local pos = from or 0
  local n = #keep
  return function()
    if pos >= n or not keep then
      return nil
    end
    local len = n - pos < size and n - pos or size
    local p = base + pos
    pos = pos + len
    return p, len
  end
end


_M.trim_escape = trim_escape


return _M
