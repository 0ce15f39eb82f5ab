-- Benchmark of the language-router detector: speed, accuracy, memory.
--
-- Run from the repository root:  luajit bench/detect_bench.lua
-- The holdout (jsonl: text, lang, kind) defaults to ../shared/eval/lang/holdout.jsonl
-- and can be set with LANG_HOLDOUT; without it the accuracy lines are skipped.
-- Prints one `name: value` line per figure.

package.path = "lua/?.lua;" .. package.path

local clock = os.clock
local fmt = string.format
local sort = table.sort
local concat = table.concat

collectgarbage("collect")
collectgarbage("collect")
local mem_before = collectgarbage("count")
local load_start = os.clock()
local detect_mod = require "kong.plugins.language-router.detect"
local load_seconds = os.clock() - load_start
collectgarbage("collect")
collectgarbage("collect")
local mem_after = collectgarbage("count")
local detect = detect_mod.detect


local function utf8_len(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

local function median(xs)
  sort(xs)
  return xs[(#xs + 1) / 2 - ((#xs + 1) / 2) % 1]
end

local function us_per_call(text, iterations, runs, fn)
  fn = fn or detect
  for _ = 1, iterations do       -- warm-up (JIT compilation)
    fn(text)
  end
  local results = {}
  for r = 1, runs do
    local t0 = clock()
    for _ = 1, iterations do
      fn(text)
    end
    results[r] = (clock() - t0) / iterations * 1e6
  end
  return median(results)
end

-- Speed: the sentences of bench/data/speed.tsv (also timed for fastText by
-- bench/fasttext_bench.py, so the two lines compare).
for line in io.lines("bench/data/speed.tsv") do
  local name, text = line:match("^([^\t#][^\t]*)\t(.+)$")
  if name then
    print(fmt("detect.us_per_call.%s_%dchars: %.2f us (median of 7 runs x 20000)",
      name, utf8_len(text), us_per_call(text, 20000, 7)))
  end
end


-- script() (step 1 alone: the handler asks it on every request whose body names
-- no script) on the NMT example's text and the Devanagari speed sentence,
-- against the step detect() runs first, its decode() into the buffers the
-- language scoring reads (the module's upvalue: nothing exports it).
do
  local decode
  for i = 1, 60 do
    local name, value = debug.getupvalue(detect, i)
    if name == "decode" then
      decode = value
    elseif name == nil then
      break
    end
  end
  local cjson = require "cjson.safe"
  local fh = assert(io.open("lua/spec/fixtures/ulca/nmt.json", "rb"))
  local texts = { { "nmt", cjson.decode(fh:read("*a")).input[1].source } }
  fh:close()
  for line in io.lines("bench/data/speed.tsv") do
    local name, text = line:match("^(deva)\t(.+)$")
    if name then
      texts[#texts + 1] = { name, text }
    end
  end
  for _, t in ipairs(texts) do
    local name, text = t[1], t[2]
    local script_us = us_per_call(text, 200000, 7, detect_mod.script)
    local reference = "detect()'s decode step: not found"
    if decode then
      local decode_us = us_per_call(text, 200000, 7, decode)
      reference = fmt("detect()'s decode step on the same text: %.3f us, ratio %.2fx",
        decode_us, script_us / decode_us)
    end
    print(fmt("detect.script_us.%s_%dchars: %.3f us per script() call (median of 7 runs x 200000; %s)",
      name, utf8_len(text), script_us, reference))
  end
end


-- Data size (the generated tables on disk).
do
  local total = 0
  for _, name in ipairs({ "langdata.lua", "romandata.lua" }) do
    local fh = io.open("lua/kong/plugins/language-router/detect/" .. name, "rb")
    if fh then
      total = total + fh:seek("end")
      fh:close()
    end
  end
  print(fmt("detect.data_mb: %.2f MB (langdata.lua + romandata.lua)", total / 1048576))
end


local function pct(ok, n)
  return fmt("%.1f%% (%d/%d)", n > 0 and 100 * ok / n or 0, ok, n)
end

local function outcomes(t)
  local parts = {}
  for got, count in pairs(t.out) do
    parts[#parts + 1] = { got, count }
  end
  sort(parts, function(a, b)
    if a[2] ~= b[2] then return a[2] > b[2] end
    return a[1] < b[1]
  end)
  for i, p in ipairs(parts) do
    parts[i] = p[1] .. " " .. p[2]
  end
  return concat(parts, ", ")
end

local function tally_record(tally, class, lang, got)
  local by_lang = tally[class]
  if not by_lang then
    by_lang = {}
    tally[class] = by_lang
  end
  local t = by_lang[lang]
  if not t then
    t = { n = 0, ok = 0, out = {} }
    by_lang[lang] = t
  end
  t.n = t.n + 1
  if got == lang then
    t.ok = t.ok + 1
  end
  local key = got or "nil"
  t.out[key] = (t.out[key] or 0) + 1
end


-- Romanized and code-mixed Latin text: the synthetic dev set written by
-- tools/gen_langdata.py (dev-split words only besides each language's most
-- frequent words; see lua/kong/plugins/language-router/detect/DATA.md).
local ROMAN = { "hi", "ur", "mr", "bn", "pa", "gu", "ta", "te", "kn", "ml", "si", "sd" }
local OTHER_LATIN = { "de", "es", "fr", "it", "nl", "pt", "id", "fil" }
local dev = io.open("bench/data/roman_dev.tsv", "r")
if not dev then
  print("detect.roman_dev: skipped (no bench/data/roman_dev.tsv; run tools/gen_langdata.py)")
else
  local tally = {}
  for line in dev:lines() do
    local kind, lang, text = line:match("^([^\t#][^\t]*)\t([^\t]+)\t(.*)$")
    if kind then
      tally_record(tally, kind, lang, (detect(text)))
    end
  end
  dev:close()

  for _, kind in ipairs({ "romanized", "code_mixed" }) do
    local by_lang = tally[kind] or {}
    local ok, n, hi_ur, ur_hi = 0, 0, 0, 0
    for _, lang in ipairs(ROMAN) do
      local t = by_lang[lang]
      if t then
        print(fmt("detect.roman_dev.%s.%s: %s  [got: %s]", kind, lang, pct(t.ok, t.n), outcomes(t)))
        ok, n = ok + t.ok, n + t.n
        if lang == "hi" then hi_ur = t.out.ur or 0 end
        if lang == "ur" then ur_hi = t.out.hi or 0 end
      end
    end
    print(fmt("detect.roman_dev.%s.overall: %s (12 languages)", kind, pct(ok, n)))
    print(fmt("detect.roman_dev.%s.hi_ur_confusions: hi->ur %d, ur->hi %d; overall with hi/ur as one: %s",
      kind, hi_ur, ur_hi, pct(ok + hi_ur + ur_hi, n)))
  end
  local dravidian = { ok = 0, n = 0 }
  for _, lang in ipairs({ "ta", "te", "kn", "ml" }) do
    local t = (tally.code_mixed or {})[lang]
    if t then
      dravidian.ok, dravidian.n = dravidian.ok + t.ok, dravidian.n + t.n
    end
  end
  print(fmt("detect.roman_dev.code_mixed.ta_te_kn_ml: %s", pct(dravidian.ok, dravidian.n)))
  local en = (tally.romanized or {}).en
  if en then
    print(fmt("detect.roman_dev.english_words.en: %s  [got: %s]", pct(en.ok, en.n), outcomes(en)))
  end
  local mixed_en = (tally.english_indic or {}).en
  if mixed_en then
    print(fmt("detect.roman_dev.english_indic.en: %s  [got: %s] (English with a few Indic words)",
      pct(mixed_en.ok, mixed_en.n), outcomes(mixed_en)))
  end
  local shayari = (tally.shayari or {}).hi
  if shayari then
    print(fmt("detect.roman_real.shayari.hi_or_ur: %s  [got: %s] (pyshayari couplets, real romanized text)",
      pct(shayari.ok + (shayari.out.ur or 0), shayari.n), outcomes(shayari)))
  end
  local nils, others = 0, 0
  for _, lang in ipairs(OTHER_LATIN) do
    local t = (tally.romanized or {})[lang]
    if t then
      nils, others = nils + (t.out["nil"] or 0), others + t.n
    end
  end
  print(fmt("detect.roman_dev.other_latin.nil: %s (de es fr it nl pt id fil words: nil expected)",
    pct(nils, others)))
end


-- Human romanizations: the tune split written by tools/gen_langdata.py from the
-- train splits of Dakshina, DravidianCodeMix (ta ml) and SentiMix (never
-- trained on; see lua/kong/plugins/language-router/detect/DATA.md).
local human = io.open("bench/data/human_dev.tsv", "r")
if not human then
  print("detect.human_dev: skipped (no bench/data/human_dev.tsv; run tools/gen_langdata.py --sources DIR)")
else
  local tally = {}
  for line in human:lines() do
    local kind, lang, text = line:match("^([^\t#][^\t]*)\t([^\t]+)\t(.*)$")
    if kind then
      tally_record(tally, kind, lang, (detect(text)))
    end
  end
  human:close()
  local by_lang = tally.human_romanized or {}
  local ok, n, hi_ur = 0, 0, 0
  for _, lang in ipairs(ROMAN) do
    local t = by_lang[lang]
    if t then
      print(fmt("detect.human_dev.romanized.%s: %s  [got: %s]", lang, pct(t.ok, t.n), outcomes(t)))
      ok, n = ok + t.ok, n + t.n
      if lang == "hi" then hi_ur = hi_ur + (t.out.ur or 0) end
      if lang == "ur" then hi_ur = hi_ur + (t.out.hi or 0) end
    end
  end
  print(fmt("detect.human_dev.romanized.strict: %s (12 languages, Dakshina tune words)", pct(ok, n)))
  print(fmt("detect.human_dev.romanized.hi_ur_as_one: %s", pct(ok + hi_ur, n)))
  local dok, dn = 0, 0
  for _, lang in ipairs({ "ta", "ml" }) do
    local t = (tally.dravidian_cm or {})[lang]
    if t then
      print(fmt("detect.human_dev.dravidian_cm.%s: %s  [got: %s]", lang, pct(t.ok, t.n), outcomes(t)))
      dok, dn = dok + t.ok, dn + t.n
    end
  end
  print(fmt("detect.human_dev.dravidian_cm: %s (DravidianCodeMix comments, ta ml)", pct(dok, dn)))
  local hcm = (tally.hindi_cm or {}).hi
  if hcm then
    print(fmt("detect.human_dev.hindi_cm: %s  [got: %s] (SentiMix train tweets)", pct(hcm.ok, hcm.n),
      outcomes(hcm)))
  end
  local clean = (tally.hindi_cm_clean or {}).hi
  if clean then
    print(fmt("detect.human_dev.hindi_cm_clean: %s  [got: %s] (SentiMix train tweets, the holdout's selection)",
      pct(clean.ok, clean.n), outcomes(clean)))
  end
end


-- Devanagari hi/mr/ne/sa on content words: the dev set written by tools/gen_langdata.py
-- (held-out words of the Tesseract hin/mar/nep/san and wordfreq-hi word lists).
local deva_dev = io.open("bench/data/deva_dev.tsv", "r")
if deva_dev then
  local tally = {}
  for line in deva_dev:lines() do
    local kind, lang, text = line:match("^([^\t#][^\t]*)\t([^\t]+)\t[^\t]+\t(.*)$")
    if kind then
      tally_record(tally, kind, lang, (detect(text)))
    end
  end
  deva_dev:close()
  for _, kind in ipairs({ "word", "five" }) do
    for _, lang in ipairs({ "hi", "mr", "ne", "sa" }) do
      local t = (tally[kind] or {})[lang]
      if t then
        print(fmt("detect.deva_dev.%s.%s: %s  [got: %s]", kind, lang, pct(t.ok, t.n), outcomes(t)))
      end
    end
  end
end

-- Running text of Sanskrit: the tune split of tools/devadata.py (lines of the train
-- files of UD_Sanskrit-Vedic and DharmicData's Valmiki Ramayana, never mined), per source.
local deva_tune = io.open("bench/data/deva_tune.tsv", "r")
if not deva_tune then
  print("detect.deva_tune: skipped (no bench/data/deva_tune.tsv; run tools/gen_langdata.py --sources DIR)")
else
  local tally, sources = {}, {}
  for line in deva_tune:lines() do
    local source, lang, text = line:match("^([^\t#][^\t]*)\t([^\t]+)\t(.*)$")
    if source then
      if not tally[source] then
        sources[#sources + 1] = source
      end
      tally_record(tally, source, lang, (detect(text)))
    end
  end
  deva_tune:close()
  for _, source in ipairs(sources) do
    for expect, t in pairs(tally[source] or {}) do
      print(fmt("detect.deva_tune.%s: %s  [got: %s] (expected %s)", source, pct(t.ok, t.n), outcomes(t), expect))
    end
  end
end


-- Accuracy on the holdout.
local path = os.getenv("LANG_HOLDOUT") or "../shared/eval/lang/holdout.jsonl"
local f = io.open(path, "r")
if not f then
  print(fmt("detect.accuracy: skipped (no holdout at %s; set LANG_HOLDOUT)", path))
else
  local cjson = require "cjson.safe"

  local SENTENCE_KINDS = { sentence = true, short_sentence = true, mixed_script = true }
  local MAIN = { "hi", "mr", "ne", "bn", "as", "pa", "gu", "or", "ta", "te", "kn", "ml", "ur",
                 "en" }
  local REPORTED = { "sd", "sa", "mai", "bho", "mag", "awa" }

  local tally = {}   -- tally[class][lang] = { n =, ok =, out = { [got] = count } }
  for line in f:lines() do
    local item = cjson.decode(line)
    if item and type(item.text) == "string" then
      local got = detect(item.text)
      local class = SENTENCE_KINDS[item.kind] and "sentence" or item.kind
      tally_record(tally, class, item.lang, got)
    end
  end
  f:close()

  local sentences = tally.sentence or {}
  local ok, n = 0, 0
  for _, lang in ipairs(MAIN) do
    local t = sentences[lang]
    if t then
      local extra = ""
      if t.ok < t.n then
        extra = "  [got: " .. outcomes(t) .. "]"
      end
      print(fmt("detect.accuracy.%s: %s%s", lang, pct(t.ok, t.n), extra))
      ok, n = ok + t.ok, n + t.n
    end
  end
  for _, lang in ipairs(REPORTED) do
    local t = sentences[lang]
    if t then
      print(fmt("detect.accuracy.%s: %s  [got: %s]", lang, pct(t.ok, t.n), outcomes(t)))
    end
  end

  for _, class in ipairs({ "word", "word_pair", "short" }) do
    local by_lang = tally[class] or {}
    local langs = {}
    for lang in pairs(by_lang) do
      langs[#langs + 1] = lang
    end
    sort(langs)
    local cok, cn = 0, 0
    for _, lang in ipairs(langs) do
      local t = by_lang[lang]
      local extra = ""
      if t.ok < t.n then
        extra = "  [got: " .. outcomes(t) .. "]"
      end
      print(fmt("detect.accuracy.%s.%s: %s%s", class, lang, pct(t.ok, t.n), extra))
      cok, cn = cok + t.ok, cn + t.n
    end
    print(fmt("detect.accuracy.%s: %s", class, pct(cok, cn)))
  end

  local mixed = (tally.code_mixed_romanized or {}).hi
  if mixed then
    print(fmt("detect.accuracy.code_mixed_romanized.hi: %s  [got: %s] (SentiMix Hinglish tweets)",
      pct(mixed.ok, mixed.n), outcomes(mixed)))
  end

  print(fmt("detect.accuracy.overall: %s (sentences of %s)", pct(ok, n), concat(MAIN, " ")))
end

print(fmt("detect.memory_mb: %.2f MB (Lua heap growth from require, after full GC)",
  (mem_after - mem_before) / 1024))
print(fmt("detect.load_ms: %.0f ms (require of the detector and its data from source, once per Kong worker; " ..
          "`gateway explain` loads cached bytecode)", load_seconds * 1000))
