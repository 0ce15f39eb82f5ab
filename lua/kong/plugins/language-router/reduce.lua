-- Streaming reduction of a JSON text that is too large to hold in memory (a
-- request body nginx spilled to a temporary file).
--
-- The text arrives in chunks. Only the objects and arrays on the wanted paths
-- of a json_path set are copied into a compact JSON text, each string there
-- cut to `keep` bytes; every other member is dropped and every other array
-- element becomes `null` (or is dropped when no `[N]` path needs its
-- position). `json_scan.scan` of the compact text then finds the same values
-- as a scan of the whole text would (long strings come back truncated), and a
-- chunk is garbage as soon as the next one is read.
--
-- The root object's members are checked as they end: `opts.enough(res)` is
-- called with the scan of what was kept so far (`res.settled[pid]` is true for
-- the paths whose root member has ended) and stops the reading when it
-- returns true. So a body whose `config` comes first is read no further than
-- `config`. A root key repeated after that point is not seen (RFC 8259 leaves
-- repeated names undefined; a full scan would take the last one).
--
-- Dropped parts are checked only for their bracket structure and strings;
-- the kept parts are checked by `json_scan.scan`.
--
-- Chunks are byte buffers (LuaJIT FFI), not Lua strings: a file is read into
-- one fixed buffer, and only what is kept becomes a Lua string, so reading a
-- 50 MiB body leaves no 50 MiB of garbage behind. The closing quote of a long
-- string is found with memchr.
--
-- Pure LuaJIT: no `ngx`, no `kong`.

local ffi = require "ffi"
local json_scan = require "kong.plugins.language-router.json_scan"


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
local O_RDONLY = 0
local CHUNK = 65536
local BUF = ffi.new("uint8_t[?]", CHUNK)   -- one per worker: a scan never yields


local setmetatable = setmetatable
local tonumber = tonumber
local find = string.find
local sub = string.sub
local byte = string.byte
local concat = table.concat
local ffi_string = ffi.string
local cast = ffi.cast


local B_QUOTE = byte('"')
local B_BSLASH = byte("\\")
local B_LBRACE = byte("{")
local B_RBRACE = byte("}")
local B_LBRACKET = byte("[")
local B_RBRACKET = byte("]")
local B_COLON = byte(":")
local B_COMMA = byte(",")
local B_U = byte("u")

local WS = { [byte(" ")] = true, [byte("\t")] = true, [byte("\r")] = true, [byte("\n")] = true }
local SCALAR_END = {
  [B_COMMA] = true, [B_RBRACKET] = true, [B_RBRACE] = true,
  [byte(" ")] = true, [byte("\t")] = true, [byte("\r")] = true, [byte("\n")] = true,
}
local CLOSER = { [B_LBRACE] = B_RBRACE, [B_LBRACKET] = B_RBRACKET }
local SKIP_STOP = { [B_QUOTE] = true, [B_LBRACE] = true, [B_RBRACE] = true,
                    [B_LBRACKET] = true, [B_RBRACKET] = true }


-- bytes c[a..b] (1-based, inclusive) of a buffer as a Lua string
local function bsub(c, a, b)
  return ffi_string(c + a - 1, b - a + 1)
end


-- position of the next '"' in c[p..n], or nil
local function find_quote(c, p, n)
  if p > n then
    return nil
  end
  local q = C.kong_lr_memchr(c + p - 1, B_QUOTE, n - p + 1)
  if q == nil then
    return nil
  end
  return tonumber(cast(u8p, q) - c) + 1
end


local DEFAULT_KEEP = 4096            -- bytes kept of one string
local DEFAULT_LIMIT = 1024 * 1024    -- bytes of compact text, at most
local DEFAULT_TEXT = 2048            -- wildcard string bytes worth keeping
local MAX_KEY = 1024                 -- longer keys are never wanted
local MAX_DEPTH = json_scan.MAX_DEPTH

-- modes
local VALUE, KEY, COLON, AFTER, STRING, SCALAR, SKIP, DONE = 1, 2, 3, 4, 5, 6, 7, 8

-- what a string is
local S_KEY, S_KEEP, S_DROP, S_SKIP = 1, 2, 3, 4


local _M = {}


-- `raw` (string content cut at a byte count) without a cut escape at its end
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


local Reducer = {}
Reducer.__index = Reducer


local function emit(r, s)
  local n = r.out_n + 1
  r.out[n] = s
  r.out_n = n
  r.out_bytes = r.out_bytes + #s
end


-- the compact text so far (closed with `}` while inside the root object)
function Reducer:text(close)
  local s = concat(self.out, "", 1, self.out_n)
  if close then
    s = s .. "}"
  end
  return s
end


-- where the next value goes: `node` (a trie node: kept) or nil (dropped)
local function expect_value(r, node)
  r.vnode = node
  r.mode = VALUE
end


-- the next element of the array frame `f`, after its separator
local function next_element(r, f)
  local node = f.node
  local i = f.idx
  local child = node.idx and node.idx[i]
  if not child and node.any and r.wild_bytes < r.text_budget then
    child = node.any
  end

  if child then
    if f.count > 0 then emit(r, ",") end
    f.count = f.count + 1
    return expect_value(r, child)
  end

  -- nothing more wanted in this array: skip to its end (as json_scan.scan)
  if not node.any and (node.max_idx or -1) < i then
    r.skip = { B_LBRACKET }
    r.skip_rest = true
    r.mode = SKIP
    return true
  end

  -- dropped; a later `[N]` path needs this element's position
  if node.max_idx and i < node.max_idx then
    if f.count > 0 then emit(r, ",") end
    f.count = f.count + 1
    emit(r, "null")
  end
  return expect_value(r, nil)
end


-- a value ended: the enclosing frame expects a separator
local function value_done(r)
  local depth = r.depth
  if depth == 0 then
    r.mode = DONE
    return
  end

  r.mode = AFTER
  local f = r.frames[depth]
  if depth == 1 and f.kind == B_LBRACE and f.member_kept then
    r.closed[f.member_key] = true
    r.check = true
  end
end


local function push(r, kind, node)
  local depth = r.depth + 1
  if depth > MAX_DEPTH then
    return nil, "too deeply nested"
  end

  local parent = r.frames[r.depth]
  r.depth = depth
  r.frames[depth] = {
    kind = kind,
    node = node,
    count = 0,
    idx = 0,
    wild = (parent and parent.wild) or (kind == B_LBRACKET and node.any ~= nil),
  }
  emit(r, kind == B_LBRACE and "{" or "[")
  return true
end


-- string content `c[a..b]` of the current string
local function content(r, c, a, b)
  if b < a then
    return
  end

  local kind = r.skind
  if kind == S_DROP or kind == S_SKIP then
    return
  end

  local cap = kind == S_KEY and MAX_KEY or r.keep
  local room = cap - r.slen
  if room <= 0 then
    r.scut = true
    return
  end

  local len = b - a + 1
  if len > room then
    b = a + room - 1
    len = room
    r.scut = true
  end

  local n = #r.sparts + 1
  r.sparts[n] = bsub(c, a, b)
  r.slen = r.slen + len
end


local function string_done(r)
  local kind = r.skind
  if kind == S_SKIP then
    r.mode = SKIP
    return true
  end

  if kind == S_DROP then
    return value_done(r)
  end

  local raw = concat(r.sparts)
  r.sparts = {}

  if kind == S_KEEP then
    if r.scut then
      raw = trim_escape(raw)
    end
    local f = r.frames[r.depth]
    if f and f.wild then
      r.wild_bytes = r.wild_bytes + #raw
    end
    emit(r, '"' .. raw .. '"')
    return value_done(r)
  end

  -- a key
  local f = r.frames[r.depth]
  local child
  if not r.scut and f.node.keys then
    local key = raw
    if find(key, "\\", 1, true) then
      key = json_scan.unescape(key)
    end
    child = key and f.node.keys[key]
    if child then
      if f.count > 0 then emit(r, ",") end
      f.count = f.count + 1
      emit(r, '"' .. raw .. '":')
      f.member_key = key
    end
  end
  f.member_kept = child ~= nil
  r.mode = COLON
  r.vnode = child
end


local function start_string(r, kind)
  r.mode = STRING
  r.skind = kind
  r.slen = 0
  r.scut = false
  r.bs = 0
end


-- consumes string content from `p`; returns the position after it
local function in_string(r, c, p, n)
  while true do
    local q = find_quote(c, p, n)
    if not q then
      content(r, c, p, n)
      local k = n
      while k >= p and c[k - 1] == B_BSLASH do
        k = k - 1
      end
      if k < p then
        r.bs = r.bs + (n - k)
      else
        r.bs = n - k
      end
      return n + 1
    end

    local k = q - 1
    while k >= p and c[k - 1] == B_BSLASH do
      k = k - 1
    end
    local run = q - 1 - k
    if k < p then
      run = run + r.bs
    end
    r.bs = 0

    if run % 2 == 0 then
      content(r, c, p, q - 1)
      string_done(r)
      return q + 1
    end

    content(r, c, p, q)
    p = q + 1
  end
end


local close_frame


-- inside a dropped container: bracket structure and strings only
local function in_skip(r, c, p, n)
  while true do
    local q = p
    while q <= n and not SKIP_STOP[c[q - 1]] do
      q = q + 1
    end
    if q > n then
      return n + 1
    end

    local b = c[q - 1]
    if b == B_QUOTE then
      start_string(r, S_SKIP)
      return q + 1
    end

    local stack = r.skip
    if b == B_LBRACE or b == B_LBRACKET then
      local top = #stack + 1
      if r.depth + top > MAX_DEPTH then
        return nil, "too deeply nested"
      end
      stack[top] = b

    else
      local top = #stack
      if CLOSER[stack[top]] ~= b then
        return nil, "mismatched bracket"
      end
      stack[top] = nil
      if top == 1 then
        if r.skip_rest then
          -- the bracket closes the array frame itself
          r.skip_rest = false
          local ok, err = close_frame(r, b)
          if not ok then
            return nil, err
          end
        else
          value_done(r)
        end
        return q + 1
      end
    end

    p = q + 1
  end
end


local function start_value(r, c, p)
  local b = c[p - 1]
  local node = r.vnode

  if b == B_QUOTE then
    start_string(r, node and S_KEEP or S_DROP)
    if node then
      r.sparts = {}
    end
    return p + 1
  end

  if b == B_LBRACE or b == B_LBRACKET then
    local wanted = node and (b == B_LBRACE and node.keys or b == B_LBRACKET and (node.idx or node.any))
    if wanted then
      local ok, err = push(r, b, node)
      if not ok then
        return nil, err
      end
      if b == B_LBRACE then
        r.mode = KEY
      else
        r.mode = VALUE
        r.first = true
      end
      return p + 1
    end

    -- a value that is not descended into: its type is enough
    if node then
      emit(r, b == B_LBRACE and "{}" or "[]")
    end
    r.skip = { b }
    r.mode = SKIP
    return p + 1
  end

  if b == B_RBRACE or b == B_COLON or b == B_COMMA or b == B_RBRACKET then
    return nil, "unexpected character"
  end

  r.mode = SCALAR
  r.skeep = node ~= nil
  return p
end


close_frame = function(r, b)
  local f = r.frames[r.depth]
  if CLOSER[f.kind] ~= b then
    return nil, "mismatched bracket"
  end

  emit(r, b == B_RBRACE and "}" or "]")
  r.frames[r.depth] = nil
  r.depth = r.depth - 1
  value_done(r)
  return true
end


-- feeds one chunk (`n` bytes at `c`, a uint8_t pointer); returns true to go
-- on, false when enough is known, or nil, err
function Reducer:feed(c, n)
  local p = 1
  while p <= n do
    local mode = self.mode
    local err

    if mode == STRING then
      p = in_string(self, c, p, n)

    elseif mode == SKIP then
      p, err = in_skip(self, c, p, n)

    elseif mode == SCALAR then
      local q = p
      while q <= n and not SCALAR_END[c[q - 1]] do
        q = q + 1
      end
      if self.skeep and q > p then
        emit(self, bsub(c, p, q - 1))
      end
      p = q
      if q <= n then
        value_done(self)
      end

    else
      local b = c[p - 1]
      if WS[b] then
        p = p + 1

      elseif self.comma and (b == B_RBRACE or b == B_RBRACKET) then
        p, err = nil, "closing bracket after ','"

      elseif mode == VALUE then
        local f = self.frames[self.depth]
        if self.first then
          self.first = false
          if b == B_RBRACKET then
            local ok, cerr = close_frame(self, b)
            p, err = ok and p + 1, cerr
          elseif not next_element(self, f) then
            p, err = start_value(self, c, p)
          end
        else
          p, err = start_value(self, c, p)
        end

      elseif mode == KEY then
        if b == B_QUOTE then
          self.sparts = {}
          start_string(self, S_KEY)
          p = p + 1
        elseif b == B_RBRACE then
          local ok, cerr = close_frame(self, b)
          p, err = ok and p + 1, cerr
        else
          p, err = nil, "expected a key"
        end

      elseif mode == COLON then
        if b ~= B_COLON then
          p, err = nil, "expected ':'"
        else
          expect_value(self, self.vnode)
          p = p + 1
        end

      elseif mode == AFTER then
        local f = self.frames[self.depth]
        if b == B_COMMA then
          if f.kind == B_LBRACE then
            self.mode = KEY
          else
            f.idx = f.idx + 1
            self.mode = VALUE
            self.first = true
          end
          self.comma = true
          p = p + 1
        elseif b == B_RBRACE or b == B_RBRACKET then
          local ok, cerr = close_frame(self, b)
          p, err = ok and p + 1, cerr
        else
          p, err = nil, "expected ',' or a closing bracket"
        end

      else -- DONE
        return nil, "trailing data after the JSON value"
      end

      if mode ~= AFTER and not WS[b] then
        self.comma = false
      end
    end

    if not p then
      return nil, err
    end

    if self.out_bytes > self.limit then
      return nil, "more than " .. self.limit .. " bytes on the wanted paths"
    end

    if self.check then
      self.check = false
      if self:enough() then
        return false
      end
    end
  end

  return self.mode ~= DONE
end


-- the scan of the root object kept so far: is it enough for the caller?
function Reducer:enough()
  local want = self.opts.enough
  if not want then
    return false
  end

  local res = json_scan.scan(self:text(true), self.set, self.opts)
  if not res then
    return false
  end

  local settled = {}
  for pid = 1, self.set.count do
    local first = self.set.steps[pid][1]
    settled[pid] = first.key ~= nil and self.closed[first.key] == true
  end
  res.settled = settled
  self.result = res
  return want(res) == true
end


--- Reduces the JSON text returned chunk by chunk by `read()`.
-- @param read function returning the next chunk as `pointer, length`; nil at
--   the end (or nil, err). See `file_reader` and `string_reader`.
-- @param set compiled paths (json_path.compile_set)
-- @param opts optional: `keep` (bytes kept of a string), `limit` (bytes of
--   compact text), `capture`/`text` (passed to json_scan.scan), `enough(res)`
-- @return the scan result of the compact text (`res.complete` is false when
--   reading stopped early), or nil, err
function _M.reduce(read, set, opts)
  opts = opts or {}
  local r = setmetatable({
    set = set,
    opts = opts,
    keep = opts.keep or DEFAULT_KEEP,
    limit = opts.limit or DEFAULT_LIMIT,
    text_budget = opts.text or DEFAULT_TEXT,
    out = {}, out_n = 0, out_bytes = 0,
    frames = {}, depth = 0,
    closed = {},
    wild_bytes = 0,
    sparts = {},
  }, Reducer)
  expect_value(r, set.root)

  while true do
    local chunk, len = read()
    if not chunk then
      if len then
        return nil, len
      end
      break
    end

    local more, err = r:feed(chunk, len)
    if more == nil then
      return nil, err
    end

    if not more then
      if r.mode ~= DONE then
        local res = r.result
        res.complete = false
        return res
      end
      break
    end
  end

  if r.mode == SCALAR and r.depth == 0 then
    value_done(r)
  end

  if r.mode ~= DONE then
    return nil, "truncated"
  end

  local res, err = json_scan.scan(r:text(false), set, opts)
  if not res then
    return nil, err
  end
  res.complete = true
  return res
end


--- A `read` function for `reduce` over the file at `path`, `size` bytes a
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


--- A `read` function for `reduce` over a Lua string, `size` bytes a chunk,
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
_M.KEEP = DEFAULT_KEEP
_M.LIMIT = DEFAULT_LIMIT

return _M
