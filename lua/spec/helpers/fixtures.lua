-- The ULCA request examples (copies of the AI4V-Core ULCA examples) as strings,
-- and decoded in `decoded`.
local cjson = require "cjson"

local here = debug.getinfo(1, "S").source:match("^@(.*)/helpers/[^/]+$") or "spec"
local dir = here .. "/fixtures/ulca/"

local M = { names = { "asr", "nmt", "nmt-no-language", "pipeline", "tts" }, decoded = {} }

for _, name in ipairs(M.names) do
  local f = assert(io.open(dir .. name .. ".json", "rb"))
  M[name] = f:read("*a")
  f:close()
  M.decoded[name] = cjson.decode(M[name])
end

return M
