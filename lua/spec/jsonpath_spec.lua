local cjson = require "cjson"
local json_edit = require "kong.plugins.language-router.json_edit"
local json_path = require "kong.plugins.language-router.json_path"
local json_scan = require "kong.plugins.language-router.json_scan"
local fixtures = require "helpers.fixtures"


local function scan(s, paths)
  local set = assert(json_path.compile_set(paths))
  return json_scan.scan(s, set)
end


-- writes `value` (a Lua string) at each path and returns the decoded result
local function write(s, paths, value)
  local res = assert(scan(s, paths))
  local edits = {}
  for pid = 1, #paths do
    local e = json_edit.plan_set(res, pid, cjson.encode(value .. pid))
    if e then edits[#edits + 1] = e end
  end
  local out, n = json_edit.apply(s, edits)
  return cjson.decode(out), n, out
end


describe("jsonpath", function()

  describe("compile", function()
    it("parses keys, indexes and wildcards", function()
      assert.same({ { key = "a" }, { index = 0 }, { key = "b" }, { any = true }, { key = "c" } },
                  json_path.compile("a[0].b[*].c"))
      assert.same({ { index = 2 }, { key = "x" } }, json_path.compile("[2].x"))
      assert.same({ { key = "config" }, { key = "language" }, { key = "sourceLanguage" } },
                  json_path.compile("config.language.sourceLanguage"))
    end)

    for _, bad in ipairs({ "", ".a", "a.", "a..b", "a[", "a[x]", "a[-1]", "a]", "a[0]b",
                           string.rep("a.", 40) .. "a" }) do
      it("rejects '" .. bad:sub(1, 20) .. "'", function()
        local steps, err = json_path.compile(bad)
        assert.is_nil(steps)
        assert.is_string(err)
        assert.is_nil(json_path.validate(bad))
      end)
    end

    it("rejects non-strings", function()
      assert.is_nil(json_path.compile(nil))
      assert.is_nil(json_path.compile({}))
      assert.is_nil(json_path.compile_set("a"))
    end)
  end)

  describe("scan", function()
    it("finds values in the ULCA examples", function()
      assert.equal("hi", json_scan.get(fixtures.asr, "config.language.sourceLanguage").value)
      assert.equal("", json_scan.get(fixtures.asr, "config.serviceId").value)
      assert.equal("number", json_scan.get(fixtures.asr, "config.samplingRate").type)
      assert.equal("boolean", json_scan.get(fixtures.asr, "controlConfig.dataTracking").type)
      assert.equal("object", json_scan.get(fixtures.asr, "config.language").type)
      assert.equal("array", json_scan.get(fixtures.asr, "audio").type)
      assert.equal("mr", json_scan.get(fixtures.pipeline,
                                      "pipelineTasks[0].config.language.sourceLanguage").value)
      assert.equal("en", json_scan.get(fixtures.pipeline,
                                      "pipelineTasks[2].config.language.sourceLanguage").value)
      assert.is_nil(json_scan.get(fixtures["nmt-no-language"], "config.language.sourceLanguage"))
      assert.equal("kn", json_scan.get(fixtures.tts, "config.language.sourceLanguage").value)
    end)

    it("collects wildcard strings", function()
      local res = assert(scan('{"input":[{"source":"a"},{"x":1},{"source":"b"},{"source":2}]}',
                              { "input[*].source" }))
      assert.same({ "a", "b" }, res.values[1])
    end)

    it("combines [N] and [*] on the same array", function()
      local res = assert(scan('{"a":[{"x":"0","y":"a"},{"x":"1","y":"b"}]}', { "a[1].x", "a[*].y" }))
      assert.equal("1", res.values[1].value)
      assert.same({ "a", "b" }, res.values[2])
    end)

    it("decodes escapes", function()
      local s = '{"k\\u0065y":"a\\"b\\\\c\\/d\\n\\u00e9\\u0B95\\ud83d\\ude00\\ud800x"}'
      local v = json_scan.get(s, "key")
      assert.equal('a"b\\c/d\n\195\169\224\174\149\240\159\152\128\239\191\189x', v.value)
      assert.equal(cjson.decode('"a\\"b\\\\c\\/d\\n\\u00e9\\u0B95\\ud83d\\ude00"'),
                   v.value:sub(1, -5))
    end)

    it("handles a quote after an even run of backslashes", function()
      local s = '{"a":"x\\\\\\\\","b":"y"}'
      assert.equal("x\\\\", json_scan.get(s, "a").value)
      assert.equal("y", json_scan.get(s, "b").value)
    end)

    it("reads a root array", function()
      assert.equal("z", json_scan.get('[{"a":"q"},{"a":"z"}]', "[1].a").value)
      assert.is_nil(json_scan.get('[{"a":"q"}]', "a"))
    end)

    it("last duplicate wins", function()
      local s = '{"c":{"l":"hi"},"c":{"m":1}}'
      assert.is_nil(json_scan.get(s, "c.l"))
      assert.equal("ta", json_scan.get('{"c":{"l":"hi","l":"ta"}}', "c.l").value)
    end)

    it("skips config-last megabyte strings", function()
      local big = string.rep("A", 1024 * 1024)
      local s = '{"audio":[{"audioContent":"' .. big .. '"}],"config":{"serviceId":"m"}}'
      assert.equal("m", json_scan.get(s, "config.serviceId").value)
    end)

    it("caps decoded strings", function()
      local set = assert(json_path.compile_set({ "a" }))
      local res = json_scan.scan('{"a":"' .. string.rep("x", 100) .. '\\u0041"}', set, { capture = 10 })
      assert.equal(string.rep("x", 10), res.values[1].value)
      assert.is_true(res.values[1].truncated)
      res = json_scan.scan('{"a":"' .. string.rep("x", 8) .. '\\u0041"}', set, { capture = 10 })
      assert.equal(string.rep("x", 8), res.values[1].value)
      res = json_scan.scan('{"a": "xyz"}', set, { capture = 10 })
      assert.same({ type = "string", value = "xyz", first = 7, last = 11 }, res.values[1])
    end)

    local invalid = {
      "", "   ", "{", "[", '{"a"', '{"a":', '{"a":1', '{"a":1,', '{"a":"x', '{"a":"x\\"}',
      "{a:1}", '{"a" 1}', '{"a":1 "b":2}', '{"a":[1,2}', '{"a":{"b":1]}', '{"a":tru}',
      '{"a":1}x', '{"a":1}}', '{"a":01x}', "nul", '{"\\q":1}', '{"config":[}',
    }
    for _, s in ipairs(invalid) do
      it("rejects invalid " .. string.format("%q", s), function()
        local res, err = scan(s, { "config.language.sourceLanguage", "a", "a.b" })
        assert.is_nil(res)
        assert.is_string(err)
      end)
    end

    it("bounds nesting", function()
      local deep = string.rep('{"a":', 600) .. "1" .. string.rep("}", 600)
      assert.is_nil(scan(deep, { "a.a.a" }))
      local skipped = '{"x":' .. string.rep("[", 600) .. string.rep("]", 600) .. "}"
      assert.is_nil(scan(skipped, { "a" }))
      local ok_deep = string.rep('{"a":', 100) .. "1" .. string.rep("}", 100)
      assert.truthy(scan(ok_deep, { "a.a" }))
    end)

    it("accepts scalars and wrong types", function()
      for _, s in ipairs({ "1", '"x"', "null", "true", "[]", "{}", '{"config":1}',
                           '{"config":{"language":[]}}', '{"config":{"language":"hi"}}' }) do
        local res = scan(s, { "config.language.sourceLanguage" })
        assert.truthy(res, s)
        assert.is_nil(res.values[1])
      end
    end)
  end)

    -- skip_ws reads none or one whitespace byte without its loop and longer
    -- runs with it: every run length around every token reads the same as
    -- the compact text, and a run at the end or before a stray byte is an error
    describe("whitespace of every length", function()
      local paths = { "config.language.sourceLanguage", "config.serviceId", "config.language.sourceScriptCode",
                      "input[*].source", "config.x" }
      local compact = '{"input":[{"source":"a b"},{"source":"c"}],"config":{"language":' ..
                      '{"sourceLanguage":"hi","x":[1,{}]},"serviceId":"","x":{}}}'
      local want = assert(scan(compact, paths))

      -- the compact text with `gap` between all of its tokens
      local function spaced(gap)
        local out, instr = {}, false
        for i = 1, #compact do
          local c = compact:sub(i, i)
          if not instr and i > 1 then
            out[#out + 1] = gap
          end
          out[#out + 1] = c
          if c == '"' then
            instr = not instr -- (no escapes in `compact`)
          end
        end
        return table.concat(out)
      end

      local WS = { " ", "\n", "\t", "\r" }
      local gaps = { "   ", "\n    ", "\r\n\t\t", "\n\t\t\t\t\t\t\t\t\t\t", string.rep(" ", 40) }
      for _, a in ipairs(WS) do
        gaps[#gaps + 1] = a
        for _, b in ipairs(WS) do
          gaps[#gaps + 1] = a .. b
        end
      end

      for _, gap in ipairs(gaps) do
        it(string.format("%q", gap), function()
          local s = spaced(gap)
          assert.same(cjson.decode(compact), cjson.decode(s))
          local res = assert(scan(s, paths))
          for pid = 1, #paths do
            local a, b = want.values[pid], res.values[pid]
            if pid == 4 then
              assert.same(a, b)
            else
              assert.equal(a and a.value, b and b.value)
              assert.equal(a and a.type, b and b.type)
              if b then
                -- (the raw text of an object: the same but for the gaps)
                assert.equal(compact:sub(a.first, a.last), (s:sub(b.first, b.last):gsub("[ \t\r\n]", "")))
              end
            end
          end
          -- and the same writes
          local w1 = write(compact, { "config.language.sourceScriptCode", "config.y.z" }, "v")
          local w2 = write(s, { "config.language.sourceScriptCode", "config.y.z" }, "v")
          assert.same(w1, w2)

          assert.truthy(scan(s .. gap, paths))
          assert.truthy(scan(gap .. s .. gap, paths))
          assert.is_nil(scan(gap .. s .. gap .. "x", paths))
          assert.is_nil(scan("{" .. gap, paths))
          assert.is_nil(scan('{"config":' .. gap, paths))
          assert.is_nil(scan('{"config":{' .. gap .. '"a"' .. gap, paths))
          assert.is_nil(scan("{" .. gap .. "\0" .. gap .. "}", paths))
          assert.is_nil(scan('{"a":1,' .. gap .. "\11}", paths))
        end)
      end
    end)

  describe("plan_set / apply", function()
    local paths = { "config.serviceId", "config.language.sourceLanguage" }

    it("replaces existing values (config first)", function()
      local b = write(fixtures.asr, paths, "v")
      assert.equal("v1", b.config.serviceId)
      assert.equal("v2", b.config.language.sourceLanguage)
      assert.same(fixtures.decoded.asr.audio, b.audio)
    end)

    it("inserts into existing objects (config last)", function()
      local s = '{"audio":[{"audioContent":"QUJD"}],"config":{"language":{"x":1}}}'
      local b = write(s, paths, "v")
      assert.equal("v1", b.config.serviceId)
      assert.equal("v2", b.config.language.sourceLanguage)
      assert.equal(1, b.config.language.x)
    end)

    it("creates missing objects, merging common prefixes", function()
      local b, n, out = write('{"input":[]}', paths, "v")
      assert.equal(2, n)
      assert.equal("v1", b.config.serviceId)
      assert.equal("v2", b.config.language.sourceLanguage)
      assert.equal(1, select(2, out:gsub('"config"', "")))
    end)

    it("writes into an empty object", function()
      local b = write("{}", paths, "v")
      assert.equal("v1", b.config.serviceId)
      b = write(' { "config" : { } } ', paths, "v")
      assert.equal("v2", b.config.language.sourceLanguage)
    end)

    it("writes through arrays at existing indexes", function()
      local b = write(fixtures.pipeline, { "pipelineTasks[1].config.serviceId" }, "v")
      assert.equal("v1", b.pipelineTasks[2].config.serviceId)
      assert.equal("mr", b.pipelineTasks[2].config.language.sourceLanguage)
    end)

    it("refuses to create array elements or to go through wrong types", function()
      for _, case in ipairs({
        { '{"pipelineTasks":[]}', "pipelineTasks[0].config.serviceId" },
        { '{"config":"x"}', "config.serviceId" },
        { '{"config":[]}', "config.serviceId" },
        { '{"config":{"language":5}}', "config.language.sourceLanguage" },
        { "[]", "config.serviceId" },
        { '"x"', "config.serviceId" },
        { '{"a":{}}', "a[0]" },
        -- an index among the keys to create
        { "{}", "pipelineTasks[0].config.serviceId" },
        { '{"a":{}}', "a.b[0].c" },
        { '{"a":{}}', "a.b.c[2]" },
      }) do
        local res = assert(scan(case[1], { case[2] }))
        local e, err = json_edit.plan_set(res, 1, '"v"')
        assert.is_nil(e, case[1])
        assert.is_string(err)
      end
    end)

    it("refuses wildcard paths", function()
      local res = assert(scan('{"input":[]}', { "input[*].source" }))
      assert.is_nil(json_edit.plan_set(res, 1, '"v"'))
    end)

    it("replaces a non-string value", function()
      local b = write('{"config":{"serviceId":{"a":[1,2]},"z":1}}', { "config.serviceId" }, "v")
      assert.equal("v1", b.config.serviceId)
      assert.equal(1, b.config.z)
    end)

    it("applies one edit as the general pass does", function()
      for _, case in ipairs({
        { fixtures.nmt, "config.serviceId" },
        { fixtures.nmt, "config.language.sourceScriptCode" },
        { "{}", "config.language.sourceLanguage" },
        { ' { "config" : { } } ', "config.language.sourceLanguage" },
        { '{"config":{"x":1}}', "config.a.b.c" },
        { '{"config":{"serviceId":{"a":[1,2]}}}', "config.serviceId" },
        { '{"p":[{"config":{}}]}', "p[0].config.serviceId" },
        { '{"x/y":{}}', "x/y.z/w" },
      }) do
        local s, path = case[1], case[2]
        local e = assert(json_edit.plan_set(assert(scan(s, { path })), 1, '"v"'))
        local one, n1 = json_edit.apply(s, { e })
        -- two edits take the general pass (the copy is dropped as a conflict)
        local general, n2 = json_edit.apply(s, { e, e })
        assert.equal(general, one, s)
        assert.equal(1, n1)
        assert.equal(1, n2)
        assert.equal("v", json_scan.get(one, path).value, s)
      end
    end)

    it("drops overlapping edits", function()
      local s = '{"config":{"serviceId":"x"}}'
      local res = assert(scan(s, { "config", "config.serviceId" }))
      local e1 = json_edit.plan_set(res, 1, '{"q":1}')
      local e2 = json_edit.plan_set(res, 2, '"v"')
      local out, n = json_edit.apply(s, { e1, e2 })
      assert.equal(1, n)
      assert.same({ config = { q = 1 } }, cjson.decode(out))
    end)
  end)
end)
