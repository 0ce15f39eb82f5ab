-- Fuzz: random and malformed bodies (mutations of the ULCA examples, random
-- JSON, random bytes) through the scanner and the whole plugin. Seeded, so a
-- failure is reproducible: FUZZ_SEED=<n> FUZZ_CASES=<n> busted spec/fuzz_spec.lua

local cjson = require "cjson.safe"
local fake = require "helpers.pdk_fake"
local fixtures = require "helpers.fixtures"
local json_path = require "kong.plugins.language-router.json_path"
local json_scan = require "kong.plugins.language-router.json_scan"
local languages = require "kong.plugins.language-router.languages"

fake.install()
local handler = require "kong.plugins.language-router.handler"


local SEED = tonumber(os.getenv("FUZZ_SEED")) or 20261126
local CASES = tonumber(os.getenv("FUZZ_CASES")) or 12000


-- xorshift32: same sequence on every Lua
local function prng(seed)
  local bit = require "bit"
  local x = bit.tobit(seed)
  if x == 0 then x = 1 end
  local r = {}
  function r.next()
    x = bit.bxor(x, bit.lshift(x, 13))
    x = bit.bxor(x, bit.rshift(x, 17))
    x = bit.bxor(x, bit.lshift(x, 5))
    return x % 2147483648
  end
  function r.int(a, b) return a + r.next() % (b - a + 1) end
  function r.pick(t) return t[r.int(1, #t)] end
  function r.chance(p) return r.next() % 10000 < p * 10000 end
  return r
end


local CODES = { "hi", "ta", "kn", "or", "mr", "en", "bn", "HI", "hi-IN", "hin", "Taml",
                "xx", "", "klingon", "hi_Deva", "ta\0", "\255\254", "te" }
local TEXTS = { "நாளை காலை நான் சென்னைக்குப் போகிறேன்.", "ನಮಸ್ಕಾರ, ನಿಮ್ಮ ದಿನ ಶುಭವಾಗಲಿ.",
                "ଆଜି ପାଗ ବହୁତ ଭଲ ଅଛି।", "मुझे कल सुबह दिल्ली जाना है।", "hello world",
                "\255\254\253 broken utf8 \192", "" }
local STRUCT = { "{", "}", "[", "]", '"', ":", ",", "\\", "\\u", "\\ud800", " ", "\n",
                 "null", "true", "1e5", "-", "\0", "\255", "\192\128" }
local KEYS = { "config", "language", "sourceLanguage", "serviceId", "input", "source",
               "audio", "audioContent", "pipelineTasks", "x", "k\\u0065y" }


local function random_json(r, depth)
  local k = r.int(1, depth > 4 and 4 or 7)
  if k == 1 then return cjson.encode(r.pick(CODES)) end
  if k == 2 then return cjson.encode(r.pick(TEXTS)) end
  if k == 3 then return tostring(r.int(-1000, 1000)) end
  if k == 4 then return r.pick({ "true", "false", "null", "0.5", "[]", "{}" }) end
  if k == 5 or k == 7 then
    local parts = {}
    for i = 1, r.int(0, 4) do
      parts[i] = '"' .. r.pick(KEYS) .. '":' .. random_json(r, depth + 1)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  local parts = {}
  for i = 1, r.int(0, 4) do
    parts[i] = random_json(r, depth + 1)
  end
  return "[" .. table.concat(parts, ",") .. "]"
end


local function ulca_like(r)
  local lang = r.pick(CODES)
  local config = string.format('"config":{"language":{"sourceLanguage":%s},"serviceId":%s}',
                               cjson.encode(lang), r.pick({ '""', '"m"', "null", "1" }))
  local audio = '"audio":[{"audioContent":"' .. string.rep("QUJD", r.int(0, 2000)) .. '"}]'
  local input = '"input":[{"source":' .. cjson.encode(r.pick(TEXTS)) .. "}]"
  local parts = { config, audio, input }
  -- shuffle
  for i = #parts, 2, -1 do
    local j = r.int(1, i)
    parts[i], parts[j] = parts[j], parts[i]
  end
  return "{" .. table.concat(parts, ",", 1, r.int(1, 3)) .. "}"
end


local function mutate(r, s)
  for _ = 1, r.int(1, 4) do
    local n = #s
    local op = r.int(1, 7)
    local p = r.int(1, n + 1)
    if op == 1 then        -- truncate
      s = s:sub(1, r.int(0, n))
    elseif op == 2 then    -- insert a structural token
      s = s:sub(1, p - 1) .. r.pick(STRUCT) .. s:sub(p)
    elseif op == 3 then    -- delete a range
      s = s:sub(1, p - 1) .. s:sub(p + r.int(1, 8))
    elseif op == 4 then    -- replace a byte with any byte
      s = s:sub(1, p - 1) .. string.char(r.int(0, 255)) .. s:sub(p + 1)
    elseif op == 5 then    -- duplicate a range
      local q = r.int(p, math.min(n, p + 40))
      s = s:sub(1, q) .. s:sub(p, q) .. s:sub(q + 1)
    elseif op == 6 then    -- wrap in nesting
      local d = r.int(1, 700)
      s = string.rep("[", d) .. s .. string.rep("]", r.chance(0.8) and d or r.int(0, d))
    else                   -- splice random JSON
      s = s:sub(1, p - 1) .. random_json(r, 0) .. s:sub(p)
    end
  end
  return s
end


local function random_bytes(r)
  local t = {}
  for i = 1, r.int(0, 200) do
    t[i] = string.char(r.int(0, 255))
  end
  return table.concat(t)
end


local function make_body(r)
  local k = r.int(1, 10)
  if k <= 3 then
    return mutate(r, fixtures[r.pick(fixtures.names)])
  elseif k <= 5 then
    return ulca_like(r)
  elseif k <= 6 then
    return mutate(r, ulca_like(r))
  elseif k <= 8 then
    return random_json(r, 0)
  elseif k <= 9 then
    return mutate(r, random_json(r, 0))
  end
  return random_bytes(r)
end


-- the value cjson sees at a plain path of a decoded document
local function cjson_get(doc, steps)
  local v = doc
  for _, step in ipairs(steps) do
    if type(v) ~= "table" then return nil end
    if step.key then
      if v[1] ~= nil then return nil end -- an array, not an object
      v = v[step.key]
    else
      if next(v) ~= nil and v[1] == nil then return nil end
      v = v[step.index + 1]
    end
  end
  return v
end


local UPSTREAMS = { "up-hi", "up-ta", "up-kn", "up-or", "up-default" }
local SOURCES = { header = true, query = true, body = true, detected = true, fallback = true }


local function random_conf(r)
  local sources = { "header", "query", "body", "detect" }
  for i = #sources, 2, -1 do
    local j = r.int(1, i)
    sources[i], sources[j] = sources[j], sources[i]
  end
  return fake.config({
    sources = { unpack(sources, 1, r.int(1, 4)) },
    preset = r.pick({ "none", "asr", "tts", "nmt", "pipeline" }),
    mappings = {
      { language = "hi", upstream = "up-hi", service_id = "model-hi" },
      { language = "ta", upstream = "up-ta" },
      { language = "kn", service_id = "model-kn" },
      { language = "or", upstream = "up-or", service_id = "model \"or\"/\\" },
    },
    fallback_upstream = r.chance(0.5) and "up-default" or nil,
    fallback_service_id = r.chance(0.5) and "model-default" or nil,
    override_service_id = r.chance(0.3),
    write_source_language = r.chance(0.7),
    min_confidence = r.pick({ 0, 0.5, 0.9 }),
    max_body_bytes = r.chance(0.1) and r.int(1, 300) or 8388608,
    emit_headers = r.chance(0.8),
  })
end


-- the plugin's own headers: a client's copy never reaches the backend
local OWN_HEADERS = { "X-Detected-Language", "X-Detected-Script", "X-Language-Source", "X-Language-Confidence" }


describe("fuzz (seed " .. SEED .. ", " .. CASES .. " bodies)", function()

  it("the scanner never raises and agrees with cjson on valid JSON", function()
    local r = prng(SEED)
    local paths = { "config.language.sourceLanguage", "config.serviceId",
                    "pipelineTasks[0].config.language.sourceLanguage", "input[*].source", "x" }
    local set = assert(json_path.compile_set(paths))
    local agreed, invalid = 0, 0
    for i = 1, CASES do
      local body = make_body(r)
      local ok, res, err = pcall(json_scan.scan, body, set)
      assert(ok, "case " .. i .. " raised: " .. tostring(res))
      assert(res or type(err) == "string", "case " .. i)

      -- lua-cjson stops at a NUL byte as if the text ended there: not a reference
      local doc = not body:find("%z") and cjson.decode(body) or nil
      if doc ~= nil and res then
        for pid = 1, 3 do
          local want = cjson_get(doc, set.steps[pid])
          local got = res.values[pid]
          if type(want) == "string" then
            assert(got and got.type == "string", "case " .. i .. " path " .. paths[pid])
            assert(got.truncated or got.value == want, "case " .. i .. " path " .. paths[pid])
          elseif want == nil then
            assert(got == nil, "case " .. i .. " path " .. paths[pid] .. ": " .. body)
          end
        end
        agreed = agreed + 1

      elseif doc ~= nil then
        -- cjson accepts up to 1000 levels (the scanner 512) and numbers JSON
        -- does not have (+8, 0x10, inf, nan, 01): the scanner is the stricter
        assert(err:find("nested", 1, true) or err:find("invalid value", 1, true),
               "case " .. i .. ": " .. err .. ": " .. body)
      else
        invalid = invalid + 1
      end
    end
    assert.truthy(agreed > CASES / 5)
    assert.truthy(invalid > CASES / 5)
  end)

  it("a chunked reduction finds what a whole scan finds", function()
    local r = prng(SEED + 2)
    local paths = { "config.language.sourceLanguage", "config.serviceId",
                    "pipelineTasks[0].config.language.sourceLanguage", "input[*].source", "x" }
    local set = assert(json_path.compile_set(paths))
    local compared = 0
    for i = 1, CASES do
      local body = make_body(r)
      local read = json_scan.string_reader(body, r.int(1, 64))
      local ok, got, err = pcall(json_scan.scan_chunks, read, set)
      assert(ok, "case " .. i .. " raised: " .. tostring(got))
      assert(got or type(err) == "string", "case " .. i)
      local want = json_scan.scan(body, set)
      if want then
        assert(got, "case " .. i .. ": " .. tostring(err) .. ": " .. body)
        for pid = 1, #paths do
          local a, b = want.values[pid], got.values[pid]
          if a and a.type then
            assert(b and b.type == a.type and b.value == a.value, "case " .. i .. " path " .. paths[pid])
          else
            assert.same(a, b)
          end
        end
        compared = compared + 1
      end
    end
    assert.truthy(compared > CASES / 5)
  end)

  it("the plugin never fails and always ends in a valid outcome", function()
    local r = prng(SEED + 1)
    local rewritten = 0
    for i = 1, CASES do
      local body = make_body(r)
      local conf = random_conf(r)
      local headers = { ["Content-Type"] = r.pick({ "application/json", "application/json",
                                                     "text/plain", "application/x+json" }) }
      if r.chance(0.2) then headers["X-Language"] = r.pick(CODES) end
      for _, name in ipairs(OWN_HEADERS) do
        if r.chance(0.3) then headers[name] = "client " .. name end
      end
      local query = r.chance(0.2) and { lang = r.pick(CODES) } or nil
      local req = fake.request({ headers = headers, query = query, body = body,
                                 upstreams = UPSTREAMS, spilled = r.chance(0.02) })

      local ok, err = pcall(handler.access, handler, conf)
      assert(ok, "case " .. i .. " raised: " .. tostring(err))
      for _, line in ipairs(fake.logs(req, "err")) do
        error("case " .. i .. " logged an error: " .. line)
      end

      local h = req.service_headers
      for _, name in ipairs(OWN_HEADERS) do
        -- what the backend gets: the plugin's value or nothing
        local seen = req.headers[name:lower()]
        assert(seen == nil or (conf.emit_headers and seen == h[name:lower()]),
               "case " .. i .. ": " .. name .. " reached the backend as " .. tostring(seen))
      end
      assert(SOURCES[h["x-language-source"]] or not conf.emit_headers, "case " .. i)
      local lang = h["x-detected-language"]
      if lang then
        assert(languages.SUPPORTED[lang], "case " .. i .. ": " .. lang)
        local c = tonumber(h["x-language-confidence"])
        assert(c and c >= conf.min_confidence and c <= 1, "case " .. i)
      end
      assert(req.upstream == nil or req.upstream:match("^up%-"), "case " .. i)

      if req.raw_body then
        rewritten = rewritten + 1
        local before = not body:find("%z") and cjson.decode(body) or nil
        local after = cjson.decode(req.raw_body)
        if before ~= nil then
          assert(after ~= nil, "case " .. i .. ": rewrite broke valid JSON: " .. req.raw_body)
          local sid = cjson_get(after, json_path.compile("config.serviceId"))
          if type(sid) == "string" and type(cjson_get(before, json_path.compile("config.serviceId"))) ~= "string" then
            assert(sid:match("^model") or sid:match("^ai4bharat/"), "case " .. i)
          end
        end
      end
    end
    assert.truthy(rewritten > CASES / 20)
  end)
end)
