local cjson = require "cjson"
local json_path = require "kong.plugins.language-router.json_path"
local json_scan = require "kong.plugins.language-router.json_scan"
local fixtures = require "helpers.fixtures"


local PATHS = { "config.language.sourceLanguage", "config.serviceId", "input[*].source",
                "pipelineTasks[1].config.language.sourceLanguage", "audio[0].audioContent",
                "controlConfig" }


local function chunks(s, size)
  return json_scan.string_reader(s, size)
end


-- what a scan found, without positions: { [pid] = { type, value } | list }
local function values(res)
  if not res then return nil end
  local out = {}
  for pid, rec in pairs(res.values) do
    out[pid] = rec.type and { rec.type, rec.value } or rec
  end
  return out
end


local function both(s, size, paths, opts)
  local set = assert(json_path.compile_set(paths or PATHS))
  local want = json_scan.scan(s, set, opts)
  local got, err = json_scan.scan_chunks(chunks(s, size), set, opts)
  return values(want), values(got), err, got
end


describe("json_scan.scan_chunks", function()
  for _, name in ipairs(fixtures.names) do
    for _, size in ipairs({ 1, 2, 3, 5, 64, 1e6 }) do
      it("finds what a whole scan finds: " .. name .. ", chunks of " .. size, function()
        local want, got, err = both(fixtures[name], size)
        assert.is_table(want)
        assert.same(want, got, err)
      end)
    end
  end

  it("keeps array positions for [N] paths and drops what no path needs", function()
    local s = '{"a":[{"x":1},"skip",{"x":"third"},{"x":4}],"b":{"c":[1,2]},"d":"dropped"}'
    local set = assert(json_path.compile_set({ "a[2].x", "b" }))
    local res = assert(json_scan.scan_chunks(chunks(s, 4), set))
    assert.equal("third", res.values[1].value)
    assert.equal("object", res.values[2].type)
    assert.is_true(res.complete)
  end)

  it("a long string keeps its first bytes, never a cut escape", function()
    for _, size in ipairs({ 1, 7, 100 }) do
      local long = string.rep("\\u00e9", 2000)      -- 12000 bytes of escapes
      local s = '{"config":{"serviceId":"' .. long .. '"}}'
      local res = assert(json_scan.scan_chunks(chunks(s, size), assert(json_path.compile_set({ "config.serviceId" })),
                                       { keep = 4099, capture = 5000 }))
      local v = res.values[1].value
      assert.equal(string.rep("\195\169", 683), v) -- 4099 bytes hold 683 whole escapes
    end
    assert.equal("ab", json_scan.trim_escape("ab\\u00"))
    assert.equal("ab\\n", json_scan.trim_escape("ab\\n"))
    assert.equal("ab", json_scan.trim_escape("ab\\"))
  end)

  it("escaped quotes and backslashes across chunk boundaries", function()
    local s = '{"x":"a\\\\\\"b\\\\","config":{"serviceId":"q\\"\\\\"}}'
    for size = 1, 12 do
      local want, got = both(s, size, { "config.serviceId", "x" })
      assert.same(want, got)
      assert.equal('q"\\', got[1][2])
    end
  end)

  it("a root value of any type, cut anywhere", function()
    for _, s in ipairs({ '"ta\\u0000"', "12345", " [1, 2] ", '{"x":1} ', "true", '"x" y', "1 2", "[" }) do
      for size = 1, 12 do
        local want, got, err = both(s, size, { "x", "[1]" })
        assert.same(want, got, s .. " " .. size)
        assert.equal(want == nil, err ~= nil, s)
      end
    end
  end)

  it("stops when `enough` says so, and reads no further", function()
    local s = '{"config":{"language":{"sourceLanguage":"hi"}},"audio":"' .. string.rep("A", 10000) .. '"}'
    local read_bytes = 0
    local read = chunks(s, 100)
    local calls = 0
    local res = json_scan.scan_chunks(function()
      local c, n = read()
      if c then read_bytes = read_bytes + n end
      return c, n
    end, assert(json_path.compile_set(PATHS)), {
      enough = function(r)
        calls = calls + 1
        return r.settled[1] and r.settled[2] and r.values[1].value == "hi"
      end,
    })
    assert.equal(1, calls)
    assert.is_false(res.complete)
    assert.equal("hi", res.values[1].value)
    assert.is_true(res.settled[2])
    assert.is_false(res.settled[3])
    assert.is_true(read_bytes <= 100)
  end)

  it("fails on truncated or malformed text, and past its limit", function()
    local set = assert(json_path.compile_set(PATHS))
    for _, bad in ipairs({ '{"config":{"serviceId":"x"}', '{"audio":[}', '{"a":1,}', '{"input":[1,]}',
                           '{"config" 1}', '{"config":{}} x', "" }) do
      local res, err = json_scan.scan_chunks(chunks(bad, 3), set)
      assert.is_nil(res, bad)
      assert.is_string(err)
    end
    local big = cjson.encode({ input = { { source = string.rep("x", 3000) } }, config = {} })
    local res, err = json_scan.scan_chunks(chunks(big, 50), set, { limit = 1000 })
    assert.is_nil(res)
    assert.truthy(err:find("bytes on the wanted paths", 1, true))
  end)

  it("issue 24 item 3: one scanner for chunks too; windows of a large chunk: long strings skipped or cut, the rest as a whole scan finds it", function()
    local long = string.rep("ab\\\"c", 3000)         -- 18000 bytes with escaped quotes
    local s = cjson.encode({ input = { { source = "one" }, { source = long }, { source = "three" } } }):sub(1, -2)
      .. ',"audio":[{"audioContent":"' .. long .. '","x":[1,{"y":"' .. long .. '"}]}]'
      .. ',"pipelineTasks":[' .. string.rep('{"config":{"language":{"sourceLanguage":"' .. long .. '"}}},', 3)
      .. '{"config":{"language":{"sourceLanguage":"mr"}}}]'
      .. ',"config":{"serviceId":"' .. long .. '","language":{"sourceLanguage":"hi"}}}'
    for _, size in ipairs({ 65536, 4097, 1000 }) do
      local want, got, err, res = both(s, size, nil, { text = 100000 })
      assert.same(want[1], got[1], err)
      assert.same(want[4], got[4])
      assert.same({ "one", "three" }, { got[3][1], got[3][3] })
      local cut = got[3][2]                                  -- cut at `keep`, never mid-escape
      assert.is_true(#cut > 2500 and #cut < #want[3][2])
      assert.equal(want[3][2]:sub(1, #cut), cut)
      assert.equal(want[2][2], got[2][2])                              -- the first 256 bytes
      assert.is_true(res.values[2].truncated)
    end
  end)

  it("holds a bounded window for a huge body", function()
    local parts = { '{"input":[' }
    for i = 1, 20000 do
      parts[#parts + 1] = (i > 1 and "," or "") .. '{"source":"sentence number ' .. i .. '"}'
    end
    parts[#parts + 1] = '],"config":{"language":{"sourceLanguage":"hi"}}}'
    local s = table.concat(parts)
    local res = assert(json_scan.scan_chunks(chunks(s, 4096), assert(json_path.compile_set(PATHS))))
    assert.equal("hi", res.values[1].value)
    assert.equal("sentence number 1", res.values[3][1])
  end)

  it("coexists with Kong's own libc declarations (kong/tools/rand.lua) and loads twice", function()
    local ffi = require "ffi"
    -- as rand.lua declares them (read returning size_t); ignore "already declared"
    pcall(ffi.cdef, "int open(const char * filename, int flags, ...);")
    pcall(ffi.cdef, "size_t read(int fd, void *buf, size_t count);")
    package.loaded["kong.plugins.language-router.json_scan"] = nil
    local again = require "kong.plugins.language-router.json_scan"
    package.loaded["kong.plugins.language-router.json_scan"] = json_scan
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write('{"config":{"serviceId":"m"}}')
    f:close()
    local read, close = again.file_reader(path)
    local res = assert(again.scan_chunks(read, assert(json_path.compile_set({ "config.serviceId" }))))
    close()
    os.remove(path)
    assert.equal("m", res.values[1].value)
  end)
end)
