-- Built-in language -> model mappings of the language-router plugin.
--
-- They follow the model families of AI4Bharat's Dhruva deployment (the
-- reference for AI4V-Core). The service ids are DEFAULTS: a deployment whose
-- models are named differently overrides them per language with the plugin's
-- `mappings` (or uses `preset: none`). Presets carry no upstream names; those
-- are deployment-specific and come from `mappings` / `fallback_upstream`.
--
-- Pure data: no `ngx`, no `kong`.

local ASR_EN = "ai4bharat/whisper--gpu-t4"
local ASR_INDO_ARYAN = "ai4bharat/conformer-multilingual-indo-aryan--gpu-t4"
local ASR_DRAVIDIAN = "ai4bharat/conformer-multilingual-dravidian--gpu-t4"

local NMT = "ai4bharat/indictrans-v2-all-gpu--t4"

local TTS_DRAVIDIAN = "ai4bharat/indic-tts-dravidian--gpu-t4"
local TTS_MISC = "ai4bharat/indic-tts-misc--gpu-t4"
local TTS_INDO_ARYAN = "ai4bharat/indic-tts-indo-aryan--gpu-t4"


local DRAVIDIAN = { kn = true, ml = true, ta = true, te = true }
local TTS_MISC_LANGS = { en = true, brx = true, mni = true }

-- languages the presets cover (ULCA codes)
local LANGUAGES = {
  "as", "bn", "brx", "doi", "en", "gom", "gu", "hi", "kn", "kok", "ks",
  "mai", "ml", "mni", "mr", "ne", "or", "pa", "raj", "sa", "sat", "sd",
  "ta", "te", "ur",
}


local function build(pick)
  local map = {}
  for _, lang in ipairs(LANGUAGES) do
    map[lang] = { language = lang, service_id = pick(lang) }
  end
  return map
end


local function asr(lang)
  if lang == "en" then
    return ASR_EN
  end
  if DRAVIDIAN[lang] then
    return ASR_DRAVIDIAN
  end
  return ASR_INDO_ARYAN
end


local function tts(lang)
  if DRAVIDIAN[lang] then
    return TTS_DRAVIDIAN
  end
  if TTS_MISC_LANGS[lang] then
    return TTS_MISC
  end
  return TTS_INDO_ARYAN
end


local function nmt()
  return NMT
end


return {
  none = {},
  asr = build(asr),
  tts = build(tts),
  nmt = build(nmt),
  -- a pipeline's first task is usually ASR (asr -> translation [-> tts]): its
  -- model is picked like `asr`; point `service_id_path` and
  -- `body_language_path` at `pipelineTasks[0].config...`
  pipeline = build(asr),

  SERVICE_IDS = {
    asr_en = ASR_EN,
    asr_indo_aryan = ASR_INDO_ARYAN,
    asr_dravidian = ASR_DRAVIDIAN,
    nmt = NMT,
    tts_dravidian = TTS_DRAVIDIAN,
    tts_misc = TTS_MISC,
    tts_indo_aryan = TTS_INDO_ARYAN,
  },
}
