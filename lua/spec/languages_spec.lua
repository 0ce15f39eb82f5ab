local languages = require "kong.plugins.language-router.languages"
local normalize = languages.normalize


describe("languages.normalize", function()
  it("gives a code as the services spell it back, whatever further codes are accepted", function()
    for code in pairs(languages.SUPPORTED) do
      assert.equal(code, normalize(code), code)
      assert.equal(code, normalize(code, { xx = true, [code] = true }), code)
      -- and the other spellings still go through the full rules
      assert.equal(code, normalize(code:upper()), code)
      assert.equal(code, normalize(" " .. code .. "-IN"), code)
    end
    for _, script in ipairs(languages.SCRIPT_CODES) do
      assert.equal(script, languages.normalize_script(script))
      assert.equal(script, languages.normalize_script(" " .. script:upper() .. "\t"))
    end
  end)

  local good = {
    hi = "hi", HI = "hi", Hi = "hi", ["hi-IN"] = "hi", ["hi_IN"] = "hi", ["hi-in"] = "hi",
    hin = "hi", HIN = "hi", ["hi_Deva"] = "hi", ["hi-Deva"] = "hi", ["hi-Deva-IN"] = "hi",
    mar = "mr", ben = "bn", asm = "as", tam = "ta", tel = "te", kan = "kn", mal = "ml",
    guj = "gu", pan = "pa", ori = "or", ory = "or", urd = "ur", snd = "sd", san = "sa",
    nep = "ne", npi = "ne", eng = "en", mai = "mai", brx = "brx", mni = "mni", sat = "sat",
    doi = "doi", kas = "ks", gom = "gom", kok = "kok",
    Taml = "ta", TAML = "ta", Telu = "te", Knda = "kn", Mlym = "ml", Orya = "or",
    Gujr = "gu", Guru = "pa", Mtei = "mni", Olck = "sat",
    ["ta_Taml"] = "ta", ["mni_Mtei"] = "mni", ["sat-Olck"] = "sat", ["ur_Arab"] = "ur",
    ["  ta\t"] = "ta", ["hi, en"] = "hi", ["hi;q=0.9"] = "hi", ["en-US"] = "en",
  }
  for raw, want in pairs(good) do
    it(string.format("%q -> %s", raw, want), function()
      assert.equal(want, normalize(raw))
    end)
  end

  local bad = {
    "", " ", "x", "xx", "zz-ZZ", "hindi", "Deva", "Beng", "Arab", "Latn", "hi--IN", "hi-",
    "-hi", "_hi", "hi_", "h1", "123", "hi IN", "hi\nen", "hi\0", "ñ", "हिन्दी",
    "hi-abcdefghi", string.rep("a", 65), "fr", "de-DE", "x-hi", "i-klingon",
  }
  for _, raw in ipairs(bad) do
    it(string.format("rejects %q", raw:sub(1, 30)), function()
      assert.is_nil(normalize(raw))
    end)
  end

  it("rejects non-strings", function()
    for _, v in ipairs({ 1, true, {}, function() end }) do
      assert.is_nil(normalize(v))
    end
    assert.is_nil(normalize(nil))
  end)

  it("accepts extra configured codes", function()
    assert.equal("fr", normalize("fr-FR", { fr = true }))
    assert.equal("fr", normalize("FR", { fr = true }))
    assert.is_nil(normalize("de", { fr = true }))
  end)

  it("normalize_config accepts any well-formed code", function()
    assert.equal("fr", languages.normalize_config("fr"))
    assert.equal("hi", languages.normalize_config("hin"))
    assert.equal("ta", languages.normalize_config("ta-IN"))
    assert.is_nil(languages.normalize_config("français"))
    assert.is_nil(languages.normalize_config(nil))
  end)

  it("every alias and script resolves to a supported code", function()
    for alias, code in pairs(languages.ALIASES) do
      assert.truthy(languages.SUPPORTED[code], alias)
    end
    for script, code in pairs(languages.SCRIPTS) do
      assert.truthy(languages.SUPPORTED[code], script)
    end
  end)

  it("normalize_script gives the ISO 15924 spelling of registered codes only", function()
    assert.equal("Latn", languages.normalize_script("latn"))
    assert.equal("Deva", languages.normalize_script(" DEVA\t"))
    assert.equal("Olck", languages.normalize_script("Olck"))
    for _, bad in ipairs({ "Roman", "Xyzw", "Qaaa", "La tn", "hi", "", 42, false }) do
      assert.is_nil(languages.normalize_script(bad), tostring(bad))
    end
    for _, code in ipairs(languages.SCRIPT_CODES) do
      assert.equal(code, languages.normalize_script(code:upper()))
    end
  end)

  it("script_of reads the script subtag of a language value", function()
    assert.equal("Latn", languages.script_of("hi-Latn"))
    assert.equal("Latn", languages.script_of("hi_latn_IN"))
    assert.equal("Deva", languages.script_of("hin-Deva, en;q=0.5"))
    assert.equal("Taml", languages.script_of("Taml"))
    assert.is_nil(languages.script_of("hi-IN"))
    assert.is_nil(languages.script_of("hi"))
    assert.is_nil(languages.script_of("hi-Abcd"))
  end)

  it("sanitize keeps log lines safe", function()
    assert.equal("hi-IN", languages.sanitize("hi-IN"))
    assert.equal("a?b?c", languages.sanitize("a\nb\"c"))
    assert.equal("nil", languages.sanitize(nil))
    assert.equal("<table>", languages.sanitize({}))
    local long = languages.sanitize(string.rep("x", 100))
    assert.truthy(#long < 60)
    assert.truthy(long:find("100 bytes", 1, true))
  end)
end)
