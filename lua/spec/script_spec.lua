-- The script in the routing decision: X-Detected-Script, mappings keyed on
-- language + script, and the ULCA `config.language.sourceScriptCode` read and
-- written (bodies in memory and spilled to a file).
--
-- Romanized detection (hi + Latn) is another module's work: where a spec
-- needs it, the detector is stubbed; Devanagari and Tamil go to the real one.

local cjson = require "cjson"
local fake = require "helpers.pdk_fake"
local fixtures = require "helpers.fixtures"

fake.install()

local DETECT = "kong.plugins.language-router.detect"
local real_detect = require(DETECT).detect
local stub                          -- function(text) replacing the detector, or nil
local seen                          -- texts the detector was given
package.loaded[DETECT] = {
  detect = function(text)
    seen[#seen + 1] = text
    if stub then
      return stub(text)
    end
    return real_detect(text)
  end,
}
-- the language step loads the detector; it and the modules above it load again
for _, step in ipairs({ "handler", "language", "rewrite" }) do
  package.loaded["kong.plugins.language-router." .. step] = nil
end
local handler = require "kong.plugins.language-router.handler"
local presets = require "kong.plugins.language-router.presets"


local UPSTREAMS = { "up-hi", "up-xlit", "up-ta", "up-default" }
local JSON = { ["Content-Type"] = "application/json" }
local HINGLISH = "kal main office nahi aaunga"

local MAPPINGS = {
  { language = "hi", upstream = "up-hi", service_id = "model-hi" },
  { language = "hi", script = "Latn", upstream = "up-xlit", service_id = "model-xlit" },
  { language = "ta", upstream = "up-ta", service_id = "model-ta" },
}


local function romanized(text)
  if text:find(HINGLISH, 1, true) then
    return "hi", 0.9, "Latn"
  end
  return real_detect(text)
end


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


local function run(conf, req)
  req = req or {}
  req.upstreams = req.upstreams or UPSTREAMS
  seen = {}
  local rec = fake.request(req)
  handler:access(conf)
  return rec
end


local function with_json(headers)
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return h
end


local function nmt(text, language)
  return cjson.encode({
    input = { { source = text } },
    config = { language = language or { targetLanguage = "en" } },
  })
end


describe("language-router: the script", function()
  before_each(function()
    stub = romanized
  end)

  after_each(function()
    stub = nil
  end)

  describe("X-Detected-Script", function()
    it("carries the detector's script of Devanagari text (real detector)", function()
      stub = nil
      local rec = run(conf_with(), { headers = JSON, body = nmt("मुझे कल सुबह दिल्ली जाना है।") })
      assert.equal("hi", rec.service_headers["x-detected-language"])
      assert.equal("Deva", rec.service_headers["x-detected-script"])
      assert.equal("up-hi", rec.upstream)
      assert.equal("Deva", rec.shared.language_router.script)
      assert.equal("detected", rec.shared.language_router.script_source)
    end)

    it("carries the script of Tamil text (real detector)", function()
      stub = nil
      local rec = run(conf_with(), { headers = JSON, body = fixtures["nmt-no-language"] })
      assert.equal("ta", rec.service_headers["x-detected-language"])
      assert.equal("Taml", rec.service_headers["x-detected-script"])
    end)

    it("carries Latn for romanized Hindi", function()
      local rec = run(conf_with(), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("hi", rec.service_headers["x-detected-language"])
      assert.equal("Latn", rec.service_headers["x-detected-script"])
    end)

    it("is absent when no script is known", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "ta" } })
      assert.equal("ta", rec.service_headers["x-detected-language"])
      assert.is_nil(rec.service_headers["x-detected-script"])
      assert.is_nil(rec.shared.language_router.script)
    end)

    it("ignores a script the detector makes up", function()
      stub = function() return "hi", 0.9, "Roman" end
      local rec = run(conf_with(), { headers = JSON, body = nmt("whatever") })
      assert.equal("up-hi", rec.upstream)
      assert.is_nil(rec.service_headers["x-detected-script"])
    end)

    it("a failing detector gives no script and no error", function()
      stub = function() error("detector bug") end
      local rec = run(conf_with(), { headers = with_json({ ["X-Language"] = "hi" }), body = nmt(HINGLISH) })
      assert.equal("up-hi", rec.upstream)
      assert.is_nil(rec.service_headers["x-detected-script"])
      assert.equal("header", rec.shared.language_router.source)
    end)
  end)

  describe("client copies of X-Detected-Script", function()
    it("are replaced by the plugin's value", function()
      local rec = run(conf_with(), { headers = with_json({ ["X-Detected-Script"] = "Cyrl" }),
                                     body = nmt(HINGLISH) })
      -- (the fake forgets a clear that a later set_header overrides)
      assert.equal("Latn", rec.service_headers["x-detected-script"])
    end)

    it("are dropped when no script is found", function()
      local rec = run(conf_with(), { headers = { ["X-Detected-Script"] = "Latn", ["X-Language"] = "ta" } })
      assert.is_true(rec.cleared["x-detected-script"])
      assert.is_nil(rec.service_headers["x-detected-script"])
    end)

    it("are dropped with emit_headers = false", function()
      local rec = run(conf_with({ emit_headers = false }),
                      { headers = with_json({ ["X-Detected-Script"] = "Cyrl" }), body = nmt(HINGLISH) })
      assert.equal("up-xlit", rec.upstream)
      assert.is_true(rec.cleared["x-detected-script"])
      assert.is_nil(rec.service_headers["x-detected-script"])
    end)

    it("are dropped after an error caught in the phase", function()
      local service_request = fake.kong.service.request
      local real = service_request.set_raw_body
      service_request.set_raw_body = function() error("boom") end
      local ok, rec = pcall(run, conf_with(), { headers = with_json({ ["X-Detected-Script"] = "Cyrl" }),
                                                body = nmt(HINGLISH) })
      service_request.set_raw_body = real
      assert.is_true(ok, rec)
      assert.equal("error", rec.shared.language_router.source)
      assert.is_true(rec.cleared["x-detected-script"])
      assert.is_nil(rec.service_headers["x-detected-script"])
    end)
  end)

  describe("mappings on language + script", function()
    it("romanized input goes to the script's mapping", function()
      local rec = run(conf_with(), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("model-xlit", cjson.decode(rec.raw_body).config.serviceId)
      assert.equal("detected", rec.service_headers["x-language-source"])
    end)

    it("native script of the same language goes to the language's mapping", function()
      stub = nil
      local rec = run(conf_with(), { headers = JSON, body = fixtures.nmt })
      assert.equal("up-hi", rec.upstream)
      assert.equal("model-hi", cjson.decode(rec.raw_body).config.serviceId)
    end)

    it("the mapping with a script wins whatever the order of the list", function()
      local reversed = { MAPPINGS[2], MAPPINGS[1], MAPPINGS[3] }
      local rec = run(conf_with({ mappings = reversed }), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("up-xlit", rec.upstream)
      rec = run(conf_with({ mappings = reversed }), { headers = with_json({ ["X-Language"] = "hi" }),
                                                      body = nmt("मुझे कल सुबह दिल्ली जाना है।") })
      assert.equal("up-hi", rec.upstream)
    end)

    it("a script without its own mapping uses the language's", function()
      stub = function() return "hi", 0.9, "Arab" end
      local rec = run(conf_with(), { headers = JSON, body = nmt("x") })
      assert.equal("up-hi", rec.upstream)
      assert.equal("Arab", rec.service_headers["x-detected-script"])
    end)

    it("takes the fields the script's mapping leaves out from the language's", function()
      local mappings = {
        { language = "hi", upstream = "up-hi", service_id = "model-hi" },
        { language = "hi", script = "latn", service_id = "model-xlit" },
      }
      local rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("up-hi", rec.upstream)
      assert.equal("model-xlit", cjson.decode(rec.raw_body).config.serviceId)
    end)

    it("a script mapping alone makes its language known and routes only that script", function()
      local mappings = { { language = "hi", script = "Latn", upstream = "up-xlit" } }
      local rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("up-xlit", rec.upstream)
      stub = nil
      rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = fixtures.nmt })
      assert.equal("up-default", rec.upstream)
      assert.equal("fallback", rec.service_headers["x-language-source"])
    end)

    it("a preset entry can key on the script too", function()
      presets.nmt["hi-Latn"] = { language = "hi", script = "Latn", service_id = "preset-xlit" }
      local ok, rec = pcall(run, conf_with({ preset = "nmt", mappings = {} }),
                            { headers = JSON, body = nmt(HINGLISH) })
      local ok2, rec2 = pcall(run, conf_with({ preset = "nmt", mappings = {} }),
                              { headers = JSON, body = fixtures["nmt-no-language"] })
      presets.nmt["hi-Latn"] = nil
      assert.is_true(ok, rec)
      assert.is_true(ok2, rec2)
      assert.equal("preset-xlit", cjson.decode(rec.raw_body).config.serviceId)
      assert.equal(presets.SERVICE_IDS.nmt, cjson.decode(rec2.raw_body).config.serviceId)
    end)

    it("a script subtag of a mapping's language keys it on the script", function()
      local mappings = { { language = "hi", upstream = "up-hi" }, { language = "hi-Latn", upstream = "up-xlit" } }
      local rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("up-xlit", rec.upstream)
      stub = nil
      rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = fixtures.nmt })
      assert.equal("up-hi", rec.upstream)
    end)

    it("a mapping with an invalid script is ignored with a warning", function()
      local mappings = { { language = "hi", upstream = "up-hi" },
                         { language = "hi", script = "Roman", upstream = "up-xlit" } }
      local rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = nmt(HINGLISH) })
      assert.equal("up-hi", rec.upstream)
      assert.equal(1, #fake.logs(rec, "warn"))
    end)
  end)

  describe("explicit scripts", function()
    it("a script subtag of the language header", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "hi-Latn" } })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("Latn", rec.service_headers["x-detected-script"])
      assert.equal("header", rec.shared.language_router.script_source)
    end)

    it("the X-Source-Script header", function()
      local rec = run(conf_with(), { headers = { ["X-Language"] = "hi", ["X-Source-Script"] = "latn" } })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("Latn", rec.service_headers["x-detected-script"])
    end)

    it("the sourceScriptCode query argument", function()
      local rec = run(conf_with(), { query = { lang = "hi", sourceScriptCode = "Latn" } })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("query", rec.shared.language_router.script_source)
    end)

    it("skips an unknown script value", function()
      local rec = run(conf_with({ sources = { "header" } }),
                      { headers = { ["X-Language"] = "hi", ["X-Source-Script"] = "Roman" } })
      assert.equal("up-hi", rec.upstream)
      assert.is_nil(rec.service_headers["x-detected-script"])
    end)

    it("an explicit script beats detection", function()
      stub = function() return "hi", 0.9, "Deva" end
      local rec = run(conf_with(), { headers = with_json({ ["X-Source-Script"] = "Latn" }),
                                     body = nmt("x") })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("header", rec.shared.language_router.script_source)
    end)

    it("a header decision without script mappings reads no body", function()
      local mappings = { { language = "hi", upstream = "up-hi" } }
      local rec = run(conf_with({ mappings = mappings }),
                      { headers = with_json({ ["X-Language"] = "hi" }), body = nmt(HINGLISH) })
      assert.equal("up-hi", rec.upstream)
      assert.equal(0, rec.body_reads)
      assert.equal(0, #seen)
    end)
  end)

  describe("ULCA sourceScriptCode (in-memory body)", function()
    it("is read (ASR example: Deva)", function()
      local rec = run(conf_with(), { headers = JSON, body = fixtures.asr })
      assert.equal("up-hi", rec.upstream)
      assert.equal("Deva", rec.service_headers["x-detected-script"])
      assert.equal("body", rec.shared.language_router.script_source)
    end)

    it("routes by it", function()
      local body = nmt("whatever", { sourceLanguage = "hi", sourceScriptCode = "Latn" })
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-xlit", rec.upstream)
      assert.equal(0, #seen)
    end)

    it("is read at a configured path", function()
      local body = '{"pipelineTasks":[{"config":{"language":{"sourceLanguage":"hi","sourceScriptCode":"Latn"}}}]}'
      local rec = run(conf_with({
        body_language_path = "pipelineTasks[0].config.language.sourceLanguage",
        body_script_path = "pipelineTasks[0].config.language.sourceScriptCode",
        service_id_path = "pipelineTasks[0].config.serviceId",
      }), { headers = JSON, body = body })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("model-xlit", cjson.decode(rec.raw_body).pipelineTasks[1].config.serviceId)
    end)

    it("a detected script is written when absent, with the language", function()
      local rec = run(conf_with(), { headers = JSON, body = nmt(HINGLISH) })
      local lang = cjson.decode(rec.raw_body).config.language
      assert.same({ sourceLanguage = "hi", sourceScriptCode = "Latn", targetLanguage = "en" }, lang)
    end)

    it("a body language without script: detection gives the script, which is written", function()
      local body = nmt(HINGLISH, { sourceLanguage = "hi", targetLanguage = "en" })
      local rec = run(conf_with(), { headers = JSON, body = body })
      assert.equal("up-xlit", rec.upstream)
      assert.equal("body", rec.service_headers["x-language-source"])
      assert.equal("detected", rec.shared.language_router.script_source)
      local lang = cjson.decode(rec.raw_body).config.language
      assert.same({ sourceLanguage = "hi", sourceScriptCode = "Latn", targetLanguage = "en" }, lang)
    end)

    it("a body language: the detector's script goes out and is written, without script mappings", function()
      stub = nil
      local mappings = { { language = "hi", upstream = "up-hi" } }
      local rec = run(conf_with({ mappings = mappings }), { headers = JSON, body = fixtures.nmt })
      assert.equal("body", rec.service_headers["x-language-source"])
      assert.equal("Deva", rec.service_headers["x-detected-script"])
      assert.equal(1, #seen)
      assert.equal("Deva", cjson.decode(rec.raw_body).config.language.sourceScriptCode)
    end)

    it("a client's script is never replaced, even one the plugin does not know", function()
      local body = nmt(HINGLISH, { sourceLanguage = "hi", sourceScriptCode = "Roman" })
      local rec = run(conf_with({ set_service_id = false }), { headers = JSON, body = body })
      assert.equal("up-xlit", rec.upstream)
      assert.is_nil(rec.raw_body)
    end)

    it("an explicit script is not written", function()
      local rec = run(conf_with({ set_service_id = false, write_source_language = false }),
                      { headers = with_json({ ["X-Source-Script"] = "Latn" }), body = nmt(HINGLISH) })
      assert.equal("up-xlit", rec.upstream)
      assert.is_nil(rec.raw_body)
    end)

    it("write_source_script = false writes the language only", function()
      local rec = run(conf_with({ write_source_script = false }), { headers = JSON, body = nmt(HINGLISH) })
      local lang = cjson.decode(rec.raw_body).config.language
      assert.same({ sourceLanguage = "hi", targetLanguage = "en" }, lang)
    end)
  end)

  it("a configuration stored without the script fields still routes and detects", function()
    local conf = conf_with()
    conf.body_script_path, conf.script_header_names, conf.script_query_names = nil, nil, nil
    conf.write_source_script = nil
    local rec = run(conf, { headers = JSON, body = nmt(HINGLISH) })
    assert.equal("up-xlit", rec.upstream)
    assert.equal("Latn", rec.service_headers["x-detected-script"])
    assert.same({ sourceLanguage = "hi", targetLanguage = "en" }, cjson.decode(rec.raw_body).config.language)
    assert.equal(0, #fake.logs(rec, "err"))
  end)

  describe("ULCA sourceScriptCode (body spilled to a file)", function()
    local AUDIO = string.rep("UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=", 20000)

    it("is read, and routes", function()
      local body = '{"config":{"language":{"sourceLanguage":"hi","sourceScriptCode":"Latn"},"serviceId":""},'
                   .. '"audio":[{"audioContent":"' .. AUDIO .. '"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body, spilled = true })
      assert.is_true(rec.shared.language_router.body_spilled)
      assert.equal("up-xlit", rec.upstream)
      assert.equal("Latn", rec.service_headers["x-detected-script"])
      assert.equal("model-xlit", fake.sent_query(rec).serviceId)
    end)

    it("a detected script goes out as the header only: the file is not rewritten", function()
      local body = '{"input":[{"source":"' .. HINGLISH .. '"}],'
                   .. '"config":{"language":{"sourceLanguage":"hi"}},'
                   .. '"padding":"' .. AUDIO .. '"}'
      local rec = run(conf_with(), { headers = JSON, body = body, spilled = true })
      assert.is_true(rec.shared.language_router.body_spilled)
      assert.equal("up-xlit", rec.upstream)
      assert.equal("Latn", rec.service_headers["x-detected-script"])
      assert.equal("detected", rec.shared.language_router.script_source)
      assert.is_nil(rec.raw_body)
      assert.is_false(rec.shared.language_router.body_rewritten)
    end)

    it("with config after the text, the detector still gets the text", function()
      local body = '{"padding":"' .. AUDIO .. '","config":{"language":{"sourceLanguage":"hi"}},'
                   .. '"input":[{"source":"' .. HINGLISH .. '"}]}'
      local rec = run(conf_with(), { headers = JSON, body = body, spilled = true })
      assert.equal("up-xlit", rec.upstream)
      assert.equal(HINGLISH, seen[1])
    end)
  end)
end)
