-- Small in-memory JSON bodies (the common NMT case, issue 9): the positional
-- scanner reads what a JSON parser reads, the plugin routes as a parser-based
-- plugin would, and a write keeps every other byte of the body.
--
-- The reference is lua-cjson with the limits the scanner documents
-- (json_scan.MAX_DEPTH levels, JSON's own numbers only). Duplicate keys: the
-- last one wins in both, as in the AI services' parser (Python's json).

local cjson_safe = require "cjson.safe"
local fake = require "helpers.pdk_fake"
local fixtures = require "helpers.fixtures"
local json_edit = require "kong.plugins.language-router.json_edit"
local json_path = require "kong.plugins.language-router.json_path"
local json_scan = require "kong.plugins.language-router.json_scan"
local languages = require "kong.plugins.language-router.languages"

fake.install()
local handler = require "kong.plugins.language-router.handler"


local ref = cjson_safe.new()
ref.decode_max_depth(json_scan.MAX_DEPTH)
ref.decode_invalid_numbers(false)

local UPSTREAMS = { "up-hi", "up-ta", "up-default" }
local JSON = { ["Content-Type"] = "application/json" }
local PATHS = { "config.language.sourceLanguage", "config.serviceId", "config.language.sourceScriptCode" }
local TEXTS = "input[*].source"


local function get(doc, path)
  local v = doc
  for key in path:gmatch("[^.]+") do
    if type(v) ~= "table" then
      return nil
    end
    v = v[key]
  end
  return v
end


-- what a parser-based plugin reads: the value at each path (nil when the body
-- is not JSON), and the non-empty input texts
local function reference(body)
  local doc = ref.decode(body)
  if doc == nil then
    return nil
  end
  local texts = {}
  for _, item in ipairs(type(doc.input) == "table" and doc.input or {}) do
    if type(item) == "table" and type(item.source) == "string" and item.source ~= "" then
      texts[#texts + 1] = item.source
    end
  end
  return doc, texts
end


local BIG = string.rep("x", 3000)
local DEEP = string.rep("[", 600) .. string.rep("]", 600)
local NESTED = string.rep('{"a":', 100) .. "1" .. string.rep("}", 100)

-- name, body
local BODIES = {
  { "the NMT example", fixtures.nmt },
  { "compact", '{"config":{"language":{"sourceLanguage":"ta"},"serviceId":"m"}}' },
  { "the key name inside a string value",
    '{"note":"\\"config\\":{\\"language\\":{\\"sourceLanguage\\":\\"ta\\"}}",' ..
    '"config":{"language":{"sourceLanguage":"hi"}}}' },
  { "only inside a string value", '{"note":"{\\"config\\":{\\"language\\":{\\"sourceLanguage\\":\\"ta\\"}}}"}' },
  { "a key named like the path, one level off", '{"language":{"sourceLanguage":"ta"},"config":{"sourceLanguage":"hi"}}' },
  { "the path under an array", '{"config":[{"language":{"sourceLanguage":"ta"}}]}' },
  { "duplicate leaf key, last wins", '{"config":{"language":{"sourceLanguage":"hi","sourceLanguage":"ta"}}}' },
  { "duplicate object, last wins (no value)",
    '{"config":{"language":{"sourceLanguage":"ta"}},"config":{"serviceId":"m"}}' },
  { "duplicate object, last wins (value)",
    '{"config":{"language":{"sourceLanguage":"hi"}},"config":{"language":{"sourceLanguage":"ta"}}}' },
  { "unicode escapes in the value", '{"config":{"language":{"sourceLanguage":"\\u0068i"}}}' },
  { "unicode escapes in a key", '{"config":{"language":{"source\\u004canguage":"ta"}}}' },
  { "escaped slash and quote around", '{"a\\"b":"\\/","config":{"language":{"sourceLanguage":"ta"}}}' },
  { "huge numbers", '{"n":123456789012345678901234567890,"m":1e308,' ..
                    '"config":{"language":{"sourceLanguage":"ta","x":-0.000000000000000000001}}}' },
  { "a number as the language", '{"config":{"language":{"sourceLanguage":12}}}' },
  { "JSON null as the language", '{"config":{"language":{"sourceLanguage":null},"serviceId":null}}' },
  { "an object as the language", '{"config":{"language":{"sourceLanguage":{"code":"hi"}}}}' },
  { "empty strings", '{"config":{"language":{"sourceLanguage":""},"serviceId":""},"input":[{"source":""}]}' },
  { "an unknown language", '{"config":{"language":{"sourceLanguage":"klingon"}}}' },
  { "a region subtag", '{"config":{"language":{"sourceLanguage":"ta-IN"}}}' },
  { "a long text", '{"input":[{"source":"' .. BIG .. '"}],"config":{"language":{"sourceLanguage":"ta"}}}' },
  { "several texts", '{"input":[{"source":"a"},{"x":1},{"source":"b"},"c",{"source":3}],' ..
                     '"config":{"language":{"sourceLanguage":"hi"}}}' },
  { "nested 100 deep elsewhere", '{"x":' .. NESTED .. ',"config":{"language":{"sourceLanguage":"ta"}}}' },
  { "nested 600 deep elsewhere", '{"x":' .. DEEP .. ',"config":{"language":{"sourceLanguage":"ta"}}}' },
  { "whitespace everywhere", ' \n{ "config" :\t{ "language" : { "sourceLanguage" : "ta" } } }\r\n' },
  { "truncated", '{"config":{"language":{"sourceLanguage":"ta"}' },
  { "trailing data", '{"config":{"language":{"sourceLanguage":"ta"}}} x' },
  { "a comma too many", '{"config":{"language":{"sourceLanguage":"ta",}}}' },
  { "an invalid escape", '{"config":{"language":{"sourceLanguage":"t\\qa"}}}' },
  { "a hex number", '{"n":0x10,"config":{"language":{"sourceLanguage":"ta"}}}' },
  { "a bare word", '{"n":nan,"config":{"language":{"sourceLanguage":"ta"}}}' },
  { "a root array", '[{"config":{"language":{"sourceLanguage":"ta"}}}]' },
  { "a root string", '"config"' },
}


describe("small JSON bodies", function()

  describe("the scanner reads what a JSON parser reads", function()
    local set = assert(json_path.compile_set({ PATHS[1], PATHS[2], PATHS[3], TEXTS }))

    for _, case in ipairs(BODIES) do
      it(case[1], function()
        local body = case[2]
        local doc, texts = reference(body)
        local res = json_scan.scan(body, set, { capture = 2048, text = 2048 })
        assert.equal(doc ~= nil, res ~= nil, "valid JSON")
        if not doc then
          return
        end

        for pid, path in ipairs(PATHS) do
          local want, got = get(doc, path), res.values[pid]
          if want == nil then
            -- absent, or JSON null
            assert(got == nil or got.type == "null", path)
          elseif type(want) == "string" then
            assert.equal("string", got.type, path)
            assert.equal(want, got.value, path)
          else
            assert.is_truthy(got, path)
            assert.not_equal("string", got.type, path)
          end
        end

        local budget, kept = 2048, {}
        for _, text in ipairs(texts) do
          if budget <= 0 then break end
          kept[#kept + 1] = text:sub(1, budget)
          budget = budget - #kept[#kept]
        end
        assert.same(kept, res.values[4])
      end)
    end
  end)


  describe("the plugin routes as a parser-based plugin would", function()
    local conf = fake.config({
      sources = { "body" },
      mappings = { { language = "hi", upstream = "up-hi" }, { language = "ta", upstream = "up-ta" } },
      fallback_upstream = "up-default",
    })
    local ROUTES = { hi = "up-hi", ta = "up-ta" }

    for _, case in ipairs(BODIES) do
      it(case[1], function()
        local body = case[2]
        local doc = reference(body)
        local lang = doc and languages.normalize(get(doc, PATHS[1]))
        local want = ROUTES[lang] or "up-default"

        local rec = fake.request({ headers = JSON, body = body, upstreams = UPSTREAMS })
        handler:access(conf)
        assert.equal(want, rec.upstream)
        assert.equal(want == "up-default" and "fallback" or "body", rec.service_headers["x-language-source"])
        assert.equal(want, rec.shared.language_router.upstream)
      end)
    end

    it("reads a body of exactly max_body_bytes, not one byte more", function()
      local body = '{"config":{"language":{"sourceLanguage":"ta"}}}'
      for limit, want in pairs({ [#body] = "up-ta", [#body - 1] = "up-default" }) do
        local c = fake.config({
          sources = { "body" }, max_body_bytes = limit,
          mappings = { { language = "ta", upstream = "up-ta" } }, fallback_upstream = "up-default",
        })
        local rec = fake.request({ headers = JSON, body = body, upstreams = UPSTREAMS })
        handler:access(c)
        assert.equal(want, rec.upstream, "max_body_bytes " .. limit)
      end
    end)
  end)


  describe("an in-memory body", function()
    it("is scanned once, by json_scan, at every size up to 64 KiB", function()
      local conf = fake.config({
        sources = { "body" },
        mappings = { { language = "ta", upstream = "up-ta" } }, fallback_upstream = "up-default",
      })
      local real_scan = json_scan.scan
      local module_scans = 0
      json_scan.scan = function(...)
        module_scans = module_scans + 1
        return real_scan(...)
      end
      local ok, err = pcall(function()
        local head, tail = '{"input":[{"source":"', '"}],"config":{"language":{"sourceLanguage":"ta"}}}'
        for _, size in ipairs({ 200, 16384, 16385, 65536 }) do
          module_scans = 0
          local body = head .. string.rep("a", size - #head - #tail) .. tail
          assert.equal(size, #body)
          local rec = fake.request({ headers = JSON, body = body, upstreams = UPSTREAMS })
          handler:access(conf)
          assert.equal("up-ta", rec.upstream, size .. " bytes")
          assert.equal(1, module_scans, size .. " bytes")
        end
      end)
      json_scan.scan = real_scan
      assert(ok, err)
    end)
  end)


  describe("a write", function()
    -- what a parser sees on the way to `path`: true when every value met is
    -- an object or absent (a write can go there), false when one is not (no
    -- body here has an empty array on the way, which decodes like {})
    local function is_object(v)
      return type(v) == "table" and v[1] == nil
    end
    local function writable(doc, path)
      local v = doc
      for key in path:gmatch("[^.]+") do
        if v == nil then
          return true
        end
        if not is_object(v) then
          return false
        end
        v = v[key]
      end
      return true
    end

    local function set(doc, path, value)
      local v, last = doc, nil
      for key in path:gmatch("[^.]+") do
        if last then
          v[last] = type(v[last]) == "table" and v[last] or {}
          v = v[last]
        end
        last = key
      end
      v[last] = value
    end

    local WRITE_BODIES = {
      { "a value on the way is a number", '{"config":5}' },
      { "a value on the way is a string", '{"config":{"language":"hi"}}' },
      { "a value on the way is an array", '{"config":{"language":["hi"]}}' },
      { "a value on the way is null", '{"config":{"language":null}}' },
      { "repeated, an object last", '{"config":5,"config":{"language":{}}}' },
      { "repeated, a number last", '{"config":{"language":{}},"config":5}' },
      { "repeated below, an object last", '{"config":{"language":1,"language":{"x":1}}}' },
    }
    for _, list in ipairs({ BODIES, WRITE_BODIES }) do
      for _, case in ipairs(list) do
        it("lands where a parser reads it, or is refused on the way: " .. case[1], function()
          local body = case[2]
          local doc = ref.decode(body)
          for _, path in ipairs({ "config.language.sourceScriptCode", "config.serviceId", "config.x.y", "x" }) do
            local res = json_scan.scan(body, assert(json_path.compile_set({ path })))
            if res and is_object(doc) then
              local edit = json_edit.plan_set(res, 1, '"W"')
              if writable(doc, path) then
                assert(edit, path)
                local want = ref.decode(body)
                set(want, path, "W")
                assert.same(want, ref.decode((json_edit.apply(body, { edit }))), path)
              else
                assert.is_nil(edit, path)
              end
            end
          end
        end)
      end
    end

    it("changes only the value written: numbers, key order and spacing stay as sent", function()
      local body = '{"zeta": 1, "big":12345678901234567890123, "f":0.1000000000000000055511151231257827,' ..
                   ' "config":{"serviceId":"", "language":{"sourceLanguage":"hi"}}, "alpha":[1.0,2e3]}'
      -- a decode and re-encode would not give the body back
      assert.not_equal(body, cjson_safe.encode(cjson_safe.decode(body)))

      local conf = fake.config({
        sources = { "body" },
        mappings = { { language = "hi", upstream = "up-hi", service_id = "model-hi" } },
      })
      local rec = fake.request({ headers = JSON, body = body, upstreams = UPSTREAMS })
      handler:access(conf)
      assert.equal((body:gsub('"serviceId":""', '"serviceId":"model-hi"')), rec.raw_body)
    end)

    it("inserts a detected script into the NMT example and changes nothing else", function()
      -- the request of the benchmark's nmt_small_json line, with the defaults
      local conf = fake.config({
        mappings = { { language = "hi", upstream = "up-hi" }, { language = "ta", upstream = "up-ta" } },
        fallback_upstream = "up-default",
      })
      local rec = fake.request({ headers = JSON, body = fixtures.nmt, upstreams = UPSTREAMS })
      handler:access(conf)
      assert.equal("up-hi", rec.upstream)
      assert.equal((fixtures.nmt:gsub('"language": {', '"language": {"sourceScriptCode":"Deva",')), rec.raw_body)
      assert.same({ ["x-language-source"] = "body", ["x-detected-language"] = "hi",
                    ["x-language-confidence"] = "1.00", ["x-detected-script"] = "Deva",
                    ["content-length"] = tostring(#rec.raw_body) }, rec.service_headers)
      local report = rec.shared.language_router
      assert.equal("detected", report.script_source)
      assert.is_true(report.body_rewritten)
    end)
  end)
end)
