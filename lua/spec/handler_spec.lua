local cjson = require "cjson.safe"
local fake = require "helpers.pdk_fake"
local fixtures = require "helpers.fixtures"

fake.install()
local handler = require "kong.plugins.language-router.handler"
local presets = require "kong.plugins.language-router.presets"


local UPSTREAMS = { "up-hi", "up-ta", "up-kn", "up-or", "up-mr", "up-en", "up-default", "up-bn" }
local JSON = { ["Content-Type"] = "application/json" }


local function run(conf, req)
  req = req or {}
  req.upstreams = req.upstreams or UPSTREAMS
  local rec = fake.request(req)
  handler:access(conf)
  return rec
end


local function with_json(headers)
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return h
end


-- the body the upstream receives (the original when not rewritten)
local function sent_body(rec, original)
  return cjson.decode(rec.raw_body or original)
end


local MAPPINGS = {
  { language = "hi", upstream = "up-hi", service_id = "model-hi" },
  { language = "ta", upstream = "up-ta", service_id = "model-ta" },
  { language = "kn", upstream = "up-kn", service_id = "model-kn" },
  { language = "or", upstream = "up-or", service_id = "model-or" },
  { language = "mr", upstream = "up-mr", service_id = "model-mr" },
  { language = "en", upstream = "up-en", service_id = "model-en" },
}


local function conf_with(over)
  over = over or {}
  if over.mappings == nil then
    over.mappings = MAPPINGS
  end
  if over.fallback_upstream == nil then
    over.fallback_upstream = "up-default"
  end
  return fake.config(over)
end


describe("language-router handler", function()

  it("has Kong plugin metadata", function()
    assert.equal(850, handler.PRIORITY)
    assert.equal("0.1.0", handler.VERSION)
    assert.is_function(handler.access)
  end)

  describe("sources", function()
    it("reads the first configured header", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "ta" } })
      assert.equal("up-ta", rec.upstream)
      assert.equal("ta", rec.service_headers["x-detected-language"])
      assert.equal("header", rec.service_headers["x-language-source"])
      assert.equal("1.00", rec.service_headers["x-language-confidence"])
    end)

    it("reads the second header name when the first is absent", function()
      local rec = run(conf_with(), { headers = { ["x-source-language"] = "kn" } })
      assert.equal("up-kn", rec.upstream)
      assert.equal("header", rec.service_headers["x-language-source"])
    end)

    it("skips an unknown header value and tries the next name", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "klingon",
                                                 ["X-Source-Language"] = "or" } })
      assert.equal("up-or", rec.upstream)
    end)

    it("reads every name of a list, in order, whatever its length", function()
      -- (the first four are written out in the handler, a loop takes the rest)
      local names = { "H-1", "H-2", "H-3", "H-4", "H-5", "H-6" }
      local scripts = { "S-1", "S-2", "S-3", "S-4", "S-5" }
      for i = 1, #names do
        local headers = { [names[i]] = "ta", [scripts[math.min(i, #scripts)]] = "Latn" }
        -- an unknown value on every earlier name is skipped
        for j = 1, i - 1 do
          headers[names[j]] = "klingon"
        end
        local rec = run(conf_with({ sources = { "header" }, header_names = names,
                                    script_header_names = scripts }), { headers = headers })
        assert.equal("up-ta", rec.upstream, names[i])
        assert.equal("Latn", rec.service_headers["x-detected-script"], names[i])
      end
      local rec = run(conf_with({ sources = { "header" }, header_names = names }),
                      { headers = { ["H-7"] = "ta" } })
      assert.equal("up-default", rec.upstream)
      rec = run(conf_with({ sources = { "header" }, header_names = {} }), { headers = { ["H-1"] = "ta" } })
      assert.equal("up-default", rec.upstream)
    end)

    it("takes the first source that gives a language, in the configured order", function()
      local req = { headers = with_json({ ["X-Language"] = "ta" }), query = { lang = "mr" },
                    body = '{"config":{"language":{"sourceLanguage":"kn"}}}' }
      for _, case in ipairs({
        { { "header", "query", "body", "detect" }, "up-ta", "header" },
        { { "query", "header", "body" }, "up-mr", "query" },
        { { "detect", "body", "query", "header" }, "up-kn", "body" },
        -- a source listed twice changes nothing; the fifth entry is reached
        { { "detect", "detect", "detect", "detect", "query" }, "up-mr", "query" },
      }) do
        local rec = run(conf_with({ sources = case[1] }), req)
        assert.equal(case[2], rec.upstream, table.concat(case[1], ","))
        assert.equal(case[3], rec.service_headers["x-language-source"], table.concat(case[1], ","))
      end
    end)

    it("reads the query", function()
      local rec = run(conf_with(), { query = { lang = "mr" } })
      assert.equal("up-mr", rec.upstream)
      assert.equal("query", rec.service_headers["x-language-source"])
    end)

    it("reads the second query name and the first of repeated arguments", function()
      local rec = run(conf_with(), { query = { sourceLanguage = { "hi", "ta" } } })
      assert.equal("up-hi", rec.upstream)
    end)

    it("parses the query once per request, whatever the names it looks up", function()
      -- Kong's get_query_arg parses the whole query string on every call
      local rec = run(conf_with(), { query = { sourceLanguage = "ta", sourceScriptCode = "Taml", a = "1" } })
      assert.equal("up-ta", rec.upstream)
      assert.equal("Taml", rec.service_headers["x-detected-script"])
      assert.equal(1, rec.query_parses)

      rec = run(conf_with(), { query = { a = "1" } })
      assert.equal("up-default", rec.upstream)
      assert.equal(1, rec.query_parses)

      rec = run(conf_with({ sources = { "header" } }), { headers = { ["X-Language"] = "ta" }, query = { lang = "hi" } })
      assert.equal("up-ta", rec.upstream)
      assert.equal(0, rec.query_parses)
    end)

    it("ignores a query argument without value", function()
      local rec = run(conf_with(), { query = { lang = true } })
      assert.equal("up-default", rec.upstream)
      assert.equal("fallback", rec.service_headers["x-language-source"])
    end)

    it("reads the JSON body (ASR example)", function()
      local rec = run(conf_with(), { headers = JSON, body = fixtures.asr })
      assert.equal("up-hi", rec.upstream)
      assert.equal("body", rec.service_headers["x-language-source"])
    end)

    it("reads a pipeline body at an indexed path", function()
      local rec = run(conf_with({
        body_language_path = "pipelineTasks[0].config.language.sourceLanguage",
        service_id_path = "pipelineTasks[0].config.serviceId",
      }), { headers = JSON, body = fixtures.pipeline })
      assert.equal("up-mr", rec.upstream)
      local b = sent_body(rec, fixtures.pipeline)
      assert.equal("model-mr", b.pipelineTasks[1].config.serviceId)
      assert.is_nil(b.pipelineTasks[2].config.serviceId)
    end)

    it("detects the language of the text (Tamil)", function()
      local rec = run(conf_with(), { headers = JSON, body = fixtures["nmt-no-language"] })
      assert.equal("up-ta", rec.upstream)
      assert.equal("detected", rec.service_headers["x-language-source"])
      assert.equal("ta", rec.service_headers["x-detected-language"])
      local c = tonumber(rec.service_headers["x-language-confidence"])
      assert.truthy(c >= 0.5 and c <= 1)
    end)

    it("detects Kannada and Odia", function()
      local body = cjson.encode({ input = { { source = "ನಮಸ್ಕಾರ, ನಿಮ್ಮ ದಿನ ಶುಭವಾಗಲಿ." } } })
      assert.equal("up-kn", run(conf_with(), { headers = JSON, body = body }).upstream)
      body = cjson.encode({ input = { { source = "ଆଜି ପାଗ ବହୁତ ଭଲ ଅଛି।" } } })
      assert.equal("up-or", run(conf_with(), { headers = JSON, body = body }).upstream)
    end)

    it("rejects a detection below min_confidence", function()
      local body = cjson.encode({ input = { { source = "ನಮಸ್ಕಾರ" } } })
      local rec = run(conf_with({ min_confidence = 1.01 }), { headers = JSON, body = body })
      assert.equal("up-default", rec.upstream)
      assert.equal("fallback", rec.service_headers["x-language-source"])
    end)

    it("detects over several fields, bounded", function()
      local long = string.rep("ನಮಸ್ಕಾರ ", 5000)
      local body = cjson.encode({ input = { { source = long }, { source = "x" } } })
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-kn", rec.upstream)
    end)

    it("follows the configured order (precedence)", function()
      local req = {
        headers = with_json({ ["X-Language"] = "ta" }),
        query = { lang = "kn" },
        body = fixtures.asr, -- hi
      }
      assert.equal("up-ta", run(conf_with(), req).upstream)
      assert.equal("up-kn", run(conf_with({ sources = { "query", "header" } }), req).upstream)
      assert.equal("up-hi", run(conf_with({ sources = { "body", "header" } }), req).upstream)
      assert.equal("up-ta", run(conf_with({ sources = { "detect", "header" } }), req).upstream)
    end)

    it("body beats detection with the default order", function()
      -- Hindi declared, Tamil text
      local body = cjson.encode({ input = { { source = "நாளை காலை நான் சென்னைக்குப் போகிறேன்." } },
                                  config = { language = { sourceLanguage = "hi" } } })
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-hi", rec.upstream)
      assert.equal("body", rec.service_headers["x-language-source"])
    end)

    it("uses only the configured sources", function()
      local rec = run(conf_with({ sources = { "body" } }),
                      { headers = with_json({ ["X-Language"] = "ta" }), query = { lang = "kn" } })
      assert.equal("up-default", rec.upstream)
    end)

    it("does not read the body when a header decides and nothing is written", function()
      local rec = run(conf_with({ mappings = { { language = "ta", upstream = "up-ta" } } }),
                      { headers = with_json({ ["X-Language"] = "ta" }), body = fixtures.asr })
      assert.equal("up-ta", rec.upstream)
      assert.equal(0, rec.body_reads)
    end)
  end)

  describe("normalisation", function()
    local cases = {
      ["HI"] = "up-hi", ["hi-IN"] = "up-hi", ["hi_IN"] = "up-hi", ["hin"] = "up-hi",
      ["hi_Deva"] = "up-hi", ["hi-Deva-IN"] = "up-hi", [" hi "] = "up-hi",
      ["mar"] = "up-mr", ["tam"] = "up-ta", ["Taml"] = "up-ta", ["ory"] = "up-or",
      ["ori"] = "up-or", ["Orya"] = "up-or", ["kan"] = "up-kn", ["Knda"] = "up-kn",
      ["eng"] = "up-en", ["en-US"] = "up-en", ["hi-IN, en;q=0.8"] = "up-hi",
    }
    for raw, up in pairs(cases) do
      it("maps '" .. raw .. "'", function()
        assert.equal(up, run(conf_with(), { headers = { ["X-Language"] = raw } }).upstream)
      end)
    end

    local bad = { "", "xx", "hindi", "Deva", "Beng", "hi--IN", "h", "12", "hi IN",
                  "'; drop table", "hi\r\nX-Evil: 1", string.rep("a", 100), "ta\0", "ñ" }
    for _, raw in ipairs(bad) do
      it("ignores " .. string.format("%q", raw):sub(1, 40), function()
        local rec = run(conf_with(), { headers = { ["X-Language"] = raw } })
        assert.equal("up-default", rec.upstream)
        assert.equal("fallback", rec.service_headers["x-language-source"])
        assert.is_nil(rec.service_headers["x-detected-language"])
        for _, line in ipairs(fake.logs(rec)) do
          assert.falsy(line:find("drop table", 1, true))
          assert.falsy(line:find("[\r\n%z]"))
          assert.falsy(#raw > 40 and line:find(raw, 1, true))
        end
      end)
    end

    it("accepts a code of a configured mapping outside the built-in list", function()
      local rec = run(conf_with({ mappings = { { language = "fr", upstream = "up-en" } } }),
                      { headers = { ["X-Language"] = "fr-FR" } })
      assert.equal("up-en", rec.upstream)
      assert.equal("fr", rec.service_headers["x-detected-language"])
    end)

    it("a known language without mapping goes to the fallback", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "bn" } })
      assert.equal("up-default", rec.upstream)
      assert.equal("fallback", rec.service_headers["x-language-source"])
      assert.equal("bn", rec.service_headers["x-detected-language"])
    end)

    it("normalises mapping languages", function()
      local rec = run(conf_with({ mappings = { { language = "HIN", upstream = "up-hi" } } }),
                      { headers = { ["X-Language"] = "hi-IN" } })
      assert.equal("up-hi", rec.upstream)
    end)
  end)

  describe("mapping, preset and fallback", function()
    it("sets the model from the mapping into an empty serviceId", function()
      local rec = run(conf_with(), { headers = JSON, body = fixtures.nmt })
      local b = sent_body(rec, fixtures.nmt)
      assert.equal("model-hi", b.config.serviceId)
      assert.equal("hi", b.config.language.sourceLanguage)
      assert.equal("ta", b.config.language.targetLanguage)
      assert.equal(fixtures.decoded.nmt.input[1].source, b.input[1].source)
    end)

    it("keeps a serviceId the client sent", function()
      local body = cjson.encode({ config = { serviceId = "client-model",
                                             language = { sourceLanguage = "hi" } } })
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.is_nil(rec.raw_body)
      assert.equal("up-hi", rec.upstream)
    end)

    it("replaces it with override_service_id", function()
      local body = cjson.encode({ config = { serviceId = "client-model",
                                             language = { sourceLanguage = "hi" } } })
      local rec = run(conf_with({ override_service_id = true }), { headers = JSON, body = body })
      assert.equal("model-hi", sent_body(rec).config.serviceId)
    end)

    it("does not rewrite when override_service_id and the model is already right", function()
      local body = cjson.encode({ config = { serviceId = "model-hi",
                                             language = { sourceLanguage = "hi" } } })
      local rec = run(conf_with({ override_service_id = true }), { headers = JSON, body = body })
      assert.is_nil(rec.raw_body)
    end)

    it("treats null and blank serviceIds as absent", function()
      for _, v in ipairs({ "null", '""', '"  "', "7" }) do
        local body = '{"config":{"serviceId":' .. v .. ',"language":{"sourceLanguage":"ta"}}}'
        local rec = run(conf_with(), { headers = JSON, body = body })
        assert.equal("model-ta", sent_body(rec).config.serviceId)
      end
    end)

    it("set_service_id = false never writes the model", function()
      local rec = run(conf_with({ set_service_id = false, write_source_script = false }),
                      { headers = JSON, body = fixtures.nmt })
      assert.is_nil(rec.raw_body)
      assert.equal("up-hi", rec.upstream)
    end)

    it("uses the preset's models (ASR: en vs multilingual)", function()
      local conf = conf_with({ preset = "asr", mappings = {} })
      local rec = run(conf, { headers = JSON, body = fixtures.asr })
      assert.equal(presets.SERVICE_IDS.asr_indo_aryan, sent_body(rec).config.serviceId)
      assert.equal("body", rec.service_headers["x-language-source"])
      -- no upstream in presets: the service's own target is kept
      assert.is_nil(rec.upstream)

      rec = run(conf, { headers = with_json({ ["X-Language"] = "en" }), body = fixtures.asr })
      assert.equal(presets.SERVICE_IDS.asr_en, sent_body(rec).config.serviceId)
    end)

    it("uses the TTS families", function()
      local conf = conf_with({ preset = "tts", mappings = {} })
      local expect = { kn = "tts_dravidian", ml = "tts_dravidian", ta = "tts_dravidian",
                       te = "tts_dravidian", en = "tts_misc", brx = "tts_misc",
                       mni = "tts_misc", hi = "tts_indo_aryan", bn = "tts_indo_aryan",
                       as = "tts_indo_aryan" }
      for lang, family in pairs(expect) do
        local rec = run(conf, { headers = with_json({ ["X-Language"] = lang }), body = fixtures.tts })
        assert.equal(presets.SERVICE_IDS[family], sent_body(rec).config.serviceId, lang)
      end
    end)

    it("uses one NMT model", function()
      local conf = conf_with({ preset = "nmt", mappings = {} })
      local rec = run(conf, { headers = JSON, body = fixtures.nmt })
      assert.equal(presets.SERVICE_IDS.nmt, sent_body(rec).config.serviceId)
    end)

    it("explicit mappings override the preset per language and field", function()
      local conf = conf_with({ preset = "asr", mappings = {
        { language = "hi", service_id = "my-hi-model" },
        { language = "ta", upstream = "up-ta" },
      } })
      local rec = run(conf, { headers = JSON, body = fixtures.asr })
      assert.equal("my-hi-model", sent_body(rec).config.serviceId)

      rec = run(conf, { headers = with_json({ ["X-Language"] = "ta" }), body = fixtures.asr })
      assert.equal("up-ta", rec.upstream)
      assert.equal(presets.SERVICE_IDS.asr_dravidian, sent_body(rec).config.serviceId)
    end)

    it("falls back without a language (upstream and model)", function()
      local conf = conf_with({ sources = { "header" }, fallback_service_id = "model-any" })
      local rec = run(conf, { headers = JSON, body = fixtures.nmt })
      assert.equal("up-default", rec.upstream)
      assert.equal("model-any", sent_body(rec).config.serviceId)
      assert.equal("fallback", rec.service_headers["x-language-source"])
      assert.is_nil(rec.service_headers["x-detected-language"])
      assert.is_nil(rec.service_headers["x-language-confidence"])
      assert.equal("fallback", rec.shared.language_router.source)
    end)

    it("without fallback the service's own upstream stays", function()
      local rec = run(fake.config({ mappings = MAPPINGS }), {})
      assert.is_nil(rec.upstream)
      assert.equal("fallback", rec.service_headers["x-language-source"])
    end)

    it("a missing upstream is logged, never fatal", function()
      local rec = run(conf_with(), { headers = with_json({ ["X-Language"] = "hi" }),
                                     body = fixtures.nmt, upstreams = {} })
      assert.is_nil(rec.upstream)
      assert.equal("model-hi", sent_body(rec).config.serviceId)
      local errs = fake.logs(rec, "err")
      assert.equal(1, #errs)
      assert.truthy(errs[1]:find("up-hi", 1, true))
    end)

    it("shares the decision in kong.ctx.shared", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "ta" } })
      assert.same({ language = "ta", source = "header", language_source = "header",
                    confidence = 1, upstream = "up-ta", service_id = "model-ta",
                    body_rewritten = false, body_spilled = false }, rec.shared.language_router)
    end)
  end)

  describe("headers", function()
    it("replaces client-sent copies of the emitted headers", function()
      local rec = run(conf_with(), { headers = { ["X-Detected-Language"] = "evil" } })
      assert.is_true(rec.cleared["x-detected-language"])
      assert.is_true(rec.cleared["x-language-confidence"])
    end)

    it("sets its headers over the client's copies, without clearing them first", function()
      -- kong.service.request.set_header replaces every header of the name
      local rec = run(conf_with(), { headers = { ["X-Language"] = "ta-Taml", ["X-Detected-Language"] = "evil",
                                                 ["X-Detected-Script"] = "Zzzz", ["X-Language-Source"] = "x",
                                                 ["X-Language-Confidence"] = "0.01" } })
      assert.equal("up-ta", rec.upstream)
      assert.same({ ["x-detected-language"] = "ta", ["x-detected-script"] = "Taml",
                    ["x-language-source"] = "header", ["x-language-confidence"] = "1.00" },
                  { ["x-detected-language"] = rec.headers["x-detected-language"],
                    ["x-detected-script"] = rec.headers["x-detected-script"],
                    ["x-language-source"] = rec.headers["x-language-source"],
                    ["x-language-confidence"] = rec.headers["x-language-confidence"] })
      assert.equal(0, rec.clears)
    end)

    it("drops the client's copy of a header it has no value for", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "ta", ["X-Detected-Script"] = "Zzzz" } })
      assert.equal("up-ta", rec.upstream)
      assert.is_nil(rec.headers["x-detected-script"])
      assert.is_true(rec.cleared["x-detected-script"])
      assert.equal("ta", rec.headers["x-detected-language"])
    end)

    it("emits nothing with emit_headers = false, and still drops the client's copies", function()
      local rec = run(conf_with({ emit_headers = false }),
                      { headers = { ["X-Language"] = "ta", ["X-Detected-Language"] = "hi",
                                    ["X-Language-Source"] = "header", ["X-Language-Confidence"] = "1" } })
      assert.equal("up-ta", rec.upstream)
      assert.is_nil(rec.service_headers["x-language-source"])
      assert.is_nil(rec.service_headers["x-detected-language"])
      assert.same({ ["x-detected-language"] = true, ["x-language-source"] = true,
                    ["x-language-confidence"] = true, ["x-detected-script"] = true }, rec.cleared)
    end)

    it("drops the client's copies when no language is found", function()
      local rec = run(conf_with(), { headers = { ["X-Language-Confidence"] = "0.99",
                                                 ["X-Language-Source"] = "header" } })
      assert.equal("fallback", rec.service_headers["x-language-source"])
      assert.is_true(rec.cleared["x-language-confidence"])
      assert.is_nil(rec.service_headers["x-language-confidence"])
    end)

    it("drops the client's copies and reports the upstream really set after an error", function()
      local service_request = fake.kong.service.request
      local real = service_request.set_raw_body
      service_request.set_raw_body = function() error("boom") end
      local ok, rec = pcall(run, conf_with(), { headers = with_json({ ["X-Detected-Language"] = "hi" }),
                                                body = fixtures.nmt })
      service_request.set_raw_body = real
      assert.is_true(ok)
      assert.equal("up-hi", rec.upstream)
      assert.is_nil(rec.service_headers["x-detected-language"])
      assert.is_true(rec.cleared["x-detected-language"])
      assert.equal("up-hi", rec.shared.language_router.upstream)
      assert.equal("error", rec.shared.language_router.source)
      assert.equal(1, #fake.logs(rec, "err"))
    end)

    it("reports no upstream in kong.ctx.shared when set_upstream failed", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "ta" }, upstreams = { "up-default" } })
      assert.is_nil(rec.upstream)
      assert.is_nil(rec.shared.language_router.upstream)
    end)
  end)

  describe("Issue 22 item 14: our headers spelled with `_`", function()
    -- Kong sets underscores_in_headers on; set_header / clear_header match
    -- `_` and `-` exactly, so these copies would reach the backend
    local SPELLINGS = { "X-Detected_Language", "x_language_source", "X_Language_Confidence",
                        "X-Detected_Script" }

    local function lines()
      local out = {}
      for i = 1, 120 do   -- past lua_max_req_headers (100)
        out[#out + 1] = { "X-Filler-" .. i, "x" }
      end
      for _, name in ipairs(SPELLINGS) do
        out[#out + 1] = { name, "forged" }
      end
      return out
    end

    local function underscored_names()
      local found = {}
      for name in pairs(fake.ngx.req.get_headers(0, true)) do
        if name:find("_", 1, true) then
          found[#found + 1] = name
        end
      end
      return found
    end

    it("none reaches the backend, whatever the routing did", function()
      local cases = {
        { conf_with(), { ["X-Language"] = "ta" } },                    -- set
        { conf_with(), {} },                                            -- fallback: no language
        { conf_with({ emit_headers = false }), { ["X-Language"] = "ta" } },
      }
      for _, case in ipairs(cases) do
        local rec = run(case[1], { headers = case[2], header_lines = lines() })
        assert.same({}, underscored_names())
        for _, name in ipairs(SPELLINGS) do
          assert.is_true(rec.cleared[name:lower()], name)
        end
      end
      assert.equal("ta", fake.kong.request.get_header("X-Language"))
    end)

    it("none reaches the backend after an internal error", function()
      local service_request = fake.kong.service.request
      local real = service_request.set_raw_body
      service_request.set_raw_body = function() error("boom") end
      local ok = pcall(run, conf_with(), { headers = with_json(), header_lines = lines(), body = fixtures.nmt })
      service_request.set_raw_body = real
      assert.is_true(ok)
      assert.same({}, underscored_names())
    end)
  end)

  describe("Issue 23 item 2: per-request work on small bodies", function()
    it("Issue 23 item 2: a request with none of the plugin's headers is not scanned or cleared for them", function()
      -- the raw header table (ngx.req.get_headers(0, true)) and a
      -- clear_header per absent header were per-request work on every
      -- small NMT body; nothing needs clearing when the client sent none
      local cases = {
        { conf_with(), { headers = { ["X-Language"] = "ta" } } },             -- no script: was cleared
        { conf_with(), { headers = {} } },                                      -- fallback: no language
        { conf_with({ emit_headers = false }), { headers = { ["X-Language"] = "ta" } } },
        { conf_with(), { headers = with_json(), body = fixtures.nmt } },       -- language from the body
      }
      for _, case in ipairs(cases) do
        local rec = run(case[1], case[2])
        assert.equal(0, rec.header_scans)
        assert.equal(0, rec.clears)
        assert.is_not_nil(rec.shared.language_router.source)
      end
    end)

    it("Issue 23 item 2: request headers are read from nginx's variables, Kong's get_header only for a repeated one", function()
      -- kong.request.get_header checks the phase and builds the variable's
      -- name on every call (kong/tools/http.lua get_header): five calls on
      -- every small NMT body
      local pdk = fake.kong.request
      local real, calls = pdk.get_header, 0
      pdk.get_header = function(...)
        calls = calls + 1
        return real(...)
      end
      local ok, err = pcall(function()
        local rec = run(conf_with(), { headers = with_json({ ["X-Source-Script"] = "Latn" }), body = fixtures.nmt })
        assert.equal(0, calls)
        assert.equal("hi", rec.shared.language_router.language)
        assert.equal("Latn", rec.shared.language_router.script)
        assert.is_not_nil(rec.raw_body)       -- Content-Type and Content-Length read: body rewritten

        -- sent twice: nginx joins the values; the first one counts, as in Kong
        rec = run(conf_with(), { header_lines = { { "X-Language", "ta" }, { "X-Language", "hi" } } })
        assert.equal("ta", rec.shared.language_router.language)
        assert.equal(1, calls)
      end)
      pdk.get_header = real
      assert(ok, err)
    end)

    it("Issue 23 item 2: a request without a query string is not parsed for query arguments", function()
      -- kong.request.get_query builds a table of the arguments
      -- (ngx.req.get_uri_args): per-request work where there are none
      for _, req in ipairs({
        { headers = with_json(), body = fixtures.nmt },                         -- language from the body
        { headers = with_json(), body = fixtures["nmt-no-language"] },          -- detected
        { headers = with_json(), body = fixtures.nmt, uri = "/api/v1/nmt?" },   -- `?` and nothing after
      }) do
        local rec = run(conf_with(), req)
        assert.equal(0, rec.query_parses)
        assert.is_not_nil(rec.shared.language_router.language)
      end
      -- with one, it is read
      local rec = run(conf_with(), { headers = with_json(), body = fixtures.nmt, uri = "/api/v1/nmt?lang=ta" })
      assert.equal(1, rec.query_parses)
      assert.equal("ta", rec.shared.language_router.language)
    end)

    it("Issue 23 item 2: each of the four, alone and in any spelling, is still removed", function()
      local names = {}
      for _, base in ipairs({ "X-Detected-Language", "X-Language-Source", "X-Language-Confidence",
                              "X-Detected-Script" }) do
        names[#names + 1] = base
        names[#names + 1] = base:gsub("%-", "_"):lower()
      end
      for _, name in ipairs(names) do
        for _, conf in ipairs({ conf_with(), conf_with({ emit_headers = false }) }) do
          -- fallback (no language, no script): nothing of ours is set
          local rec = run(conf, { header_lines = { { name, "forged" } } })
          local left = fake.ngx.req.get_headers(0, true)[name]
          if conf.emit_headers and name:lower():gsub("_", "-") == "x-language-source" then
            assert.equal("fallback", fake.kong.request.get_header("X-Language-Source"), name)
          else
            assert.is_nil(left, name)
            assert.is_true(rec.cleared[name:lower()], name)
          end
        end
      end
    end)
  end)

  describe("body rewrite", function()
    it("writes a detected sourceLanguage when absent", function()
      local rec = run(conf_with(), { headers = JSON, body = fixtures["nmt-no-language"] })
      local b = sent_body(rec)
      assert.equal("ta", b.config.language.sourceLanguage)
      assert.equal("en", b.config.language.targetLanguage)
      assert.equal("model-ta", b.config.serviceId)
      assert.equal(fixtures.decoded["nmt-no-language"].input[1].source, b.input[1].source)
      assert.equal(tostring(#rec.raw_body), rec.service_headers["content-length"])
    end)

    it("does not write it with write_source_language = false", function()
      local rec = run(conf_with({ write_source_language = false, write_source_script = false,
                                  set_service_id = false }),
                      { headers = JSON, body = fixtures["nmt-no-language"] })
      assert.is_nil(rec.raw_body)
      assert.equal("up-ta", rec.upstream)
    end)

    it("does not write a language that came from a header", function()
      local rec = run(conf_with({ set_service_id = false }),
                      { headers = with_json({ ["X-Language"] = "ta" }),
                        body = fixtures["nmt-no-language"] })
      assert.is_nil(rec.raw_body)
    end)

    it("creates missing objects on the path", function()
      local body = '{"input":[{"source":"ଆଜି ପାଗ ବହୁତ ଭଲ ଅଛି।"}]}'
      local b = sent_body(run(conf_with(), { headers = JSON, body = body }))
      assert.equal("or", b.config.language.sourceLanguage)
      assert.equal("model-or", b.config.serviceId)
    end)

    it("leaves the body alone when a value on the path is not an object", function()
      local body = '{"config":"x","input":[{"source":"ଆଜି ପାଗ ବହୁତ ଭଲ ଅଛି।"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.is_nil(rec.raw_body)
      assert.equal("up-or", rec.upstream)
    end)

    local audio = string.rep("UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAAC", 24000) -- ~1 MiB

    it("Issue 23: a body of up to 64 KiB in memory is rewritten in place", function()
      local head = '{"config":{"language":{"sourceLanguage":"kn"},"serviceId":""},"input":[{"source":"'
      local body = head .. string.rep("a", 65536 - #head - 4) .. '"}]}'
      assert.equal(65536, #body)
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-kn", rec.upstream)
      assert.equal("model-kn", sent_body(rec).config.serviceId)
      assert.is_true(rec.shared.language_router.body_rewritten)
      assert.is_nil(rec.shared.language_router.service_id_delivered)
    end)

    it("Issue 23: config before a 1 MiB audio: read from a 4 KiB probe, the model out of band", function()
      local body = '{"config":{"language":{"sourceLanguage":"kn"},"serviceId":""},' ..
                   '"audio":[{"audioContent":"' .. audio .. '"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-kn", rec.upstream)
      assert.equal("body", rec.service_headers["x-language-source"])
      assert.is_nil(rec.raw_body)
      assert.equal("model-kn", fake.sent_query(rec).serviceId)
      assert.equal("query", rec.shared.language_router.service_id_delivered)
      assert.is_false(rec.shared.language_router.body_rewritten)
      assert.is_false(rec.shared.language_router.body_spilled)
      assert.equal(4097, rec.body_bytes_read)
    end)

    it("Issue 23: without Content-Length (chunked), a 1 MiB body is read from a 64 KiB prefix", function()
      local body = '{"config":{"language":{"sourceLanguage":"kn"},"serviceId":""},' ..
                   '"audio":[{"audioContent":"' .. audio .. '"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body, no_content_length = true })
      assert.equal("up-kn", rec.upstream)
      assert.is_nil(rec.raw_body)
      assert.equal("model-kn", fake.sent_query(rec).serviceId)
      assert.equal(4097 + 65537, rec.body_bytes_read)
    end)

    it("Issue 23: with its Content-Length, a 20 KiB body is read whole and rewritten", function()
      local head = '{"config":{"language":{"sourceLanguage":"kn"},"serviceId":""},"input":[{"source":"'
      local body = head .. string.rep("a", 20480 - #head - 4) .. '"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("model-kn", sent_body(rec).config.serviceId)
      assert.equal(4097 + #body, rec.body_bytes_read)
    end)

    it("Issue 23: config after a 1 MiB audio: the whole body is read, the model out of band", function()
      local body = '{"audio":[{"audioContent":"' .. audio .. '"}],' ..
                   '"config":{"language":{"sourceLanguage":"kn"}}}'
      local rec = run(conf_with({ service_id_delivery = "header", service_id_header = "X-Model" }),
                      { headers = JSON, body = body })
      assert.equal("up-kn", rec.upstream)
      assert.equal("body", rec.service_headers["x-language-source"])
      assert.is_nil(rec.raw_body)
      assert.equal("model-kn", rec.service_headers["x-model"])
      assert.equal(4097 + #body, rec.body_bytes_read)
    end)

    it("Issue 23: a 1 MiB body keeps a model the client sent", function()
      local body = '{"config":{"language":{"sourceLanguage":"kn"},"serviceId":"mine"},' ..
                   '"audio":[{"audioContent":"' .. audio .. '"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-kn", rec.upstream)
      assert.is_nil(rec.raw_body)
      assert.is_nil(rec.raw_query)
    end)

    it("Issue 23: a 1 MiB body cut inside the audio goes to the fallback", function()
      local body = '{"audio":[{"audioContent":"' .. audio
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-default", rec.upstream)
      assert.is_nil(rec.raw_body)
    end)

    it("the last of duplicated keys wins, as in JSON parsers", function()
      local body = '{"config":{"language":{"sourceLanguage":"hi"}},' ..
                   '"config":{"language":{"sourceLanguage":"ta"},"serviceId":""}}'
      local rec = run(conf_with({ override_service_id = true }), { headers = JSON, body = body })
      assert.equal("up-ta", rec.upstream)
      local b = sent_body(rec)
      assert.equal("model-ta", b.config.serviceId)
    end)

    it("escaped strings are read correctly", function()
      local body = '{"config":{"language":{"source\\u004canguage":"\\u0074a"},' ..
                   '"serviceId":"\\"quoted\\\\"}}'
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-ta", rec.upstream)
      assert.is_nil(rec.raw_body) -- the client sent a (strange) model
    end)
  end)

  describe("limits", function()
    it("does not read bodies above max_body_bytes (declared)", function()
      local rec = run(conf_with({ max_body_bytes = 100 }),
                      { headers = with_json({ ["X-Language"] = "ta" }), body = fixtures.asr })
      assert.equal("up-ta", rec.upstream)
      assert.equal(0, rec.body_reads)
      assert.is_nil(rec.raw_body)
    end)

    it("does not parse bodies above max_body_bytes (chunked, no Content-Length)", function()
      local rec = run(conf_with({ max_body_bytes = 100 }),
                      { headers = JSON, body = fixtures.asr, no_content_length = true })
      assert.equal("up-default", rec.upstream)
      assert.is_nil(rec.raw_body)
    end)

    it("never reads a spilled body whole into memory", function()
      local rec = run(conf_with(), { headers = with_json({ ["X-Language"] = "ta" }),
                                     body = fixtures.asr, spilled = true })
      assert.equal("up-ta", rec.upstream)
      assert.is_nil(rec.raw_body)
      assert.equal(1, rec.body_reads)
      assert.is_nil(rec.file_reads_whole)
      assert.equal(0, #fake.logs(rec, "err"))
    end)

    it("spilled body: query still works", function()
      local rec = run(conf_with(), { headers = JSON, query = { lang = "kn" },
                                     body = fixtures.asr, spilled = true })
      assert.equal("up-kn", rec.upstream)
    end)

    for _, ct in ipairs({ "text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data; boundary=x", "application/jsonp", "" }) do
      it("ignores a '" .. ct .. "' body", function()
        local rec = run(conf_with(), { headers = { ["Content-Type"] = ct }, body = fixtures.asr })
        assert.equal("up-default", rec.upstream)
        assert.equal(0, rec.body_reads)
      end)
    end

    it("ignores a body without content type", function()
      local rec = run(conf_with(), { body = fixtures.asr })
      assert.equal("up-default", rec.upstream)
    end)

    for _, ct in ipairs({ "application/json; charset=utf-8", "Application/JSON",
                          "application/vnd.ulca+json" }) do
      it("reads a '" .. ct .. "' body", function()
        local rec = run(conf_with(), { headers = { ["Content-Type"] = ct }, body = fixtures.asr })
        assert.equal("up-hi", rec.upstream)
      end)
    end

    it("an invalid JSON body goes to the fallback", function()
      local rec = run(conf_with(), { headers = JSON, body = fixtures.asr:sub(1, 80) })
      assert.equal("up-default", rec.upstream)
      assert.is_nil(rec.raw_body)
      assert.equal(0, #fake.logs(rec, "err"))
    end)

    it("an empty body goes to the fallback", function()
      local rec = run(conf_with(), { headers = JSON, body = "" })
      assert.equal("up-default", rec.upstream)
    end)
  end)

  describe("robustness", function()
    it("never raises, even when the PDK does", function()
      local kong = fake.kong
      local orig = kong.service.set_upstream
      kong.service.set_upstream = function() error("boom") end
      local rec
      assert.has_no.errors(function()
        rec = run(conf_with(), { headers = { ["X-Language"] = "ta" } })
      end)
      kong.service.set_upstream = orig
      assert.equal(1, #fake.logs(rec, "err"))
    end)

    it("survives a non-string header value type from the PDK", function()
      local kong = fake.kong
      local orig = kong.request.get_header
      kong.request.get_header = function() return { "ta" } end
      local rec
      assert.has_no.errors(function() rec = run(conf_with(), {}) end)
      kong.request.get_header = orig
      assert.equal("up-default", rec.upstream)
    end)

    it("tolerates ngx.null-like optional fields", function()
      local null = setmetatable({}, { __tostring = function() return "null" end })
      local conf = conf_with({ fallback_upstream = null, fallback_service_id = null,
                               mappings = { { language = "ta", upstream = null, service_id = "m" } } })
      local rec
      assert.has_no.errors(function()
        rec = run(conf, { headers = with_json({ ["X-Language"] = "ta" }), body = fixtures.nmt })
      end)
      assert.equal("m", sent_body(rec).config.serviceId)
      assert.equal(0, #fake.logs(rec, "err"))
    end)
  end)
end)
