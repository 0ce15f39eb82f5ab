-- Language code normalisation for the language-router plugin.
--
-- Turns what clients send (`hi`, `HI`, `hi-IN`, `hi_IN`, `hin`, `hi_Deva`,
-- `Taml`, ...) into the ULCA code the upstream services expect (`hi`, `ta`,
-- `mni`, ...). Anything that is not a well-formed code of a known language
-- normalises to nil, so an unknown value never reaches an upstream name, a
-- header or a log line.
--
-- Pure Lua: no `ngx`, no `kong`.

local type = type
local find = string.find
local sub = string.sub
local lower = string.lower
local gsub = string.gsub


local MAX_RAW_LEN = 64
local MAX_CODE_LEN = 35   -- longest BCP 47-ish tag we look at


-- ULCA codes the AI4V-Core / Dhruva services use.
local SUPPORTED = {
  as = true, bn = true, brx = true, doi = true, en = true, gom = true,
  gu = true, hi = true, kn = true, kok = true, ks = true, mai = true,
  ml = true, mni = true, mr = true, ne = true, ["or"] = true, pa = true,
  raj = true, sa = true, sat = true, sd = true, si = true, ta = true,
  te = true, ur = true,
}


-- ISO 639-2 / 639-3 codes (and a few legacy aliases) to the ULCA code.
local ALIASES = {
  asm = "as", ben = "bn", brx = "brx", doi = "doi", dgo = "doi",
  eng = "en", gom = "gom", guj = "gu", hin = "hi", kan = "kn", kok = "kok",
  kas = "ks", mai = "mai", mal = "ml", mni = "mni", mar = "mr", nep = "ne",
  npi = "ne", ori = "or", ory = "or", pan = "pa", raj = "raj", san = "sa",
  sat = "sat", snd = "sd", sin = "si", tam = "ta", tel = "te", urd = "ur",
}


-- ISO 15924 script codes that identify exactly one supported language.
-- Deva, Beng, Arab, Latn are shared by several languages: not listed.
local SCRIPTS = {
  taml = "ta", telu = "te", knda = "kn", mlym = "ml", orya = "or",
  gujr = "gu", guru = "pa", mtei = "mni", olck = "sat", sinh = "si",
}


-- ISO 15924 script codes (the registry's four-letter codes, private use
-- Qaaa-Qabx left out): Debian's iso-codes 4.15 list, plus the codes registered
-- since (Chrs ... Zanb). gateway/spec/plugins/iso15924.py holds the same list for
-- the spec validation (tests/test_plugin_schemas.py compares them).
local SCRIPT_CODES = {
  "Adlm", "Afak", "Aghb", "Ahom", "Arab", "Aran", "Armi", "Armn", "Avst", "Bali", "Bamu", "Bass",
  "Batk", "Beng", "Bhks", "Blis", "Bopo", "Brah", "Brai", "Bugi", "Buhd", "Cakm", "Cans", "Cari",
  "Cham", "Cher", "Chrs", "Cirt", "Copt", "Cpmn", "Cprt", "Cyrl", "Cyrs", "Deva", "Diak", "Dogr",
  "Dsrt", "Dupl", "Egyd", "Egyh", "Egyp", "Elba", "Elym", "Ethi", "Gara", "Geok", "Geor", "Glag",
  "Gong", "Gonm", "Goth", "Gran", "Grek", "Gujr", "Gukh", "Guru", "Hanb", "Hang", "Hani", "Hano",
  "Hans", "Hant", "Hatr", "Hebr", "Hira", "Hluw", "Hmng", "Hmnp", "Hrkt", "Hung", "Inds", "Ital",
  "Jamo", "Java", "Jpan", "Jurc", "Kali", "Kana", "Kawi", "Khar", "Khmr", "Khoj", "Kitl", "Kits",
  "Knda", "Kore", "Kpel", "Krai", "Kthi", "Lana", "Laoo", "Latf", "Latg", "Latn", "Leke", "Lepc",
  "Limb", "Lina", "Linb", "Lisu", "Loma", "Lyci", "Lydi", "Mahj", "Maka", "Mand", "Mani", "Marc",
  "Maya", "Medf", "Mend", "Merc", "Mero", "Mlym", "Modi", "Mong", "Moon", "Mroo", "Mtei", "Mult",
  "Mymr", "Nagm", "Nand", "Narb", "Nbat", "Newa", "Nkgb", "Nkoo", "Nshu", "Ogam", "Olck", "Onao",
  "Orkh", "Orya", "Osge", "Osma", "Ougr", "Palm", "Pauc", "Perm", "Phag", "Phli", "Phlp", "Phlv",
  "Phnx", "Piqd", "Plrd", "Prti", "Rjng", "Rohg", "Roro", "Runr", "Samr", "Sara", "Sarb", "Saur",
  "Sgnw", "Shaw", "Shrd", "Sidd", "Sind", "Sinh", "Sogd", "Sogo", "Sora", "Soyo", "Sund", "Sunu",
  "Sylo", "Syrc", "Syre", "Syrj", "Syrn", "Tagb", "Takr", "Tale", "Talu", "Taml", "Tang", "Tavt",
  "Telu", "Teng", "Tfng", "Tglg", "Thaa", "Thai", "Tibt", "Tirh", "Tnsa", "Todr", "Toto", "Tutg",
  "Ugar", "Vaii", "Visp", "Vith", "Wara", "Wcho", "Wole", "Xpeo", "Xsux", "Yezi", "Yiii", "Zanb",
  "Zinh", "Zmth", "Zsye", "Zsym", "Zxxx", "Zyyy", "Zzzz",
}

-- scripts spelled as the registry does, which `normalize_script` returns
-- unchanged (filled below, by normalize_script itself)
local EXACT_SCRIPT = {}

-- lower-case code -> registry spelling ("latn" -> "Latn")
local SCRIPT_SPELLING = {}
for i = 1, #SCRIPT_CODES do
  SCRIPT_SPELLING[lower(SCRIPT_CODES[i])] = SCRIPT_CODES[i]
end


local _M = {
  SUPPORTED = SUPPORTED,
  ALIASES = ALIASES,
  SCRIPTS = SCRIPTS,
  SCRIPT_CODES = SCRIPT_CODES,
}


-- codes `normalize` returns unchanged (filled below, by normalize itself)
local EXACT = {}


-- The primary subtag of `code` mapped to a ULCA code, or nil.
-- `extra` is an optional set of further accepted codes (configured mappings).
local function resolve(primary, extra)
  local n = #primary
  if n == 4 then
    return SCRIPTS[primary]
  end

  local code = primary
  if n == 3 then
    code = ALIASES[primary] or primary
  end

  if SUPPORTED[code] or (extra and extra[code]) then
    return code
  end

  return nil
end


--- Normalises a client-sent language value.
-- @param raw any value (only strings are considered)
-- @param extra optional set `{ [code] = true }` of further accepted codes
-- @return the ULCA code, or nil
function _M.normalize(raw, extra)
  if type(raw) ~= "string" then
    return nil
  end

  -- the common case, a code as the services spell it (`extra` only adds codes)
  if EXACT[raw] then
    return raw
  end

  local n = #raw
  if n == 0 or n > MAX_RAW_LEN then
    return nil
  end

  -- first element of a list such as "hi-IN, en;q=0.8"
  local stop = find(raw, "[,;]")
  if stop then
    raw = sub(raw, 1, stop - 1)
  end

  -- trim spaces and tabs
  local _, lead = find(raw, "^[ \t]*")
  local first = lead + 1
  local tail = find(raw, "[ \t]*$", first)
  raw = sub(raw, first, tail - 1)

  n = #raw
  if n < 2 or n > MAX_CODE_LEN then
    return nil
  end

  -- letters, then subtags of 1 to 8 letters or digits separated by - or _
  if not find(raw, "^[A-Za-z][A-Za-z][A-Za-z]?[A-Za-z]?[-_A-Za-z0-9]*$") then
    return nil
  end

  local code = lower(raw)
  local sep = find(code, "[-_]")
  local primary = code
  if sep then
    primary = sub(code, 1, sep - 1)
    local rest = sub(code, sep + 1)
    -- each subtag 1-8 alphanumerics, no empty subtag
    if rest == "" or find(rest, "^[-_]") or find(rest, "[-_][-_]") or find(rest, "[-_]$")
       or find(rest, "[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9]")
    then
      return nil
    end

    -- a script-only value such as "Taml" has no subtags; "ta_Taml" resolves by ta
    if #primary == 4 then
      return nil
    end
  end

  if #primary < 2 or #primary > 4 or find(primary, "[^a-z]") then
    return nil
  end

  return resolve(primary, extra)
end


--- Normalises a script value (`Latn`, `latn`, ` DEVA `) to its ISO 15924
-- spelling, or nil for anything that is not a registered code.
function _M.normalize_script(raw)
  if type(raw) ~= "string" or #raw < 4 or #raw > MAX_RAW_LEN then
    return nil
  end

  if EXACT_SCRIPT[raw] then
    return raw
  end

  local _, _, code = find(raw, "^[ \t]*([A-Za-z][A-Za-z][A-Za-z][A-Za-z])[ \t]*$")
  return code and SCRIPT_SPELLING[lower(code)]
end


for code in pairs(SUPPORTED) do
  if _M.normalize(code) == code then
    EXACT[code] = true
  end
end
for i = 1, #SCRIPT_CODES do
  local code = SCRIPT_CODES[i]
  if _M.normalize_script(code) == code then
    EXACT_SCRIPT[code] = true
  end
end


--- The script a language value names: its script subtag (`hi-Latn`,
-- `hi_Latn_IN` -> `Latn`) or a script-only value (`Taml`); nil otherwise.
-- Only meaningful for a value `normalize` accepted.
function _M.script_of(raw)
  -- every spelling below has four letters at least: a bare code (`hi`, the
  -- common case) is answered without the patterns, which LuaJIT does not
  -- compile (in the worker, ~2.5 µs a request on a header-routed NMT request)
  if type(raw) ~= "string" or #raw < 4 or #raw > MAX_RAW_LEN then
    return nil
  end

  local stop = find(raw, "[,;]")
  if stop then
    raw = sub(raw, 1, stop - 1)
  end

  local _, _, tag = find(raw, "^[ \t]*[A-Za-z][A-Za-z][A-Za-z]?[-_]([A-Za-z][A-Za-z][A-Za-z][A-Za-z])[-_ \t]")
  if not tag then
    _, _, tag = find(raw, "^[ \t]*[A-Za-z][A-Za-z][A-Za-z]?[-_]([A-Za-z][A-Za-z][A-Za-z][A-Za-z])$")
  end
  if not tag then
    _, _, tag = find(raw, "^[ \t]*([A-Za-z][A-Za-z][A-Za-z][A-Za-z])[ \t]*$")
  end

  return tag and SCRIPT_SPELLING[lower(tag)]
end


--- Normalises a configured mapping language; unlike client values, any
-- well-formed 2-3 letter primary subtag is accepted (a deployment may route
-- languages this module does not list).
function _M.normalize_config(raw)
  local code = _M.normalize(raw)
  if code then
    return code
  end

  if type(raw) ~= "string" then
    return nil
  end

  local primary = lower(gsub(raw, "[-_].*$", ""))
  if find(primary, "^[a-z][a-z][a-z]?$") then
    return ALIASES[primary] or primary
  end

  return nil
end


--- A value made safe for a log line: at most 32 bytes of [A-Za-z0-9_.-],
-- anything else replaced by `?`.
function _M.sanitize(raw)
  if raw == nil then
    return "nil"
  end

  if type(raw) ~= "string" then
    return "<" .. type(raw) .. ">"
  end

  local n = #raw
  local out = gsub(sub(raw, 1, 32), "[^%w%._%-]", "?")
  if n > 32 then
    out = out .. "...(" .. n .. " bytes)"
  end

  return out
end


return _M
