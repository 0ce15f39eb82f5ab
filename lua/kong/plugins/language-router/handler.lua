-- language-router: picks the upstream and the model (ULCA `serviceId`) of an
-- AI4V-Core request from its language. One step per module, in the order of
-- a request:
--   plan.lua      what a configuration asks, built once per configuration
--   language.lua  the language and script: headers, query, body, detector
--   body.lua      the body, read and scanned once, only when a step needs it
--   upstream.lua  the mapping's upstream and model, or the fallback
--   rewrite.lua   the model (and a detected language/script) into the body
--   report.lua    the headers to the backend and kong.ctx.shared
-- Any failure leaves the request to the fallback: this plugin never fails a
-- request.

local plan = require "kong.plugins.language-router.plan"
local language = require "kong.plugins.language-router.language"
local upstream = require "kong.plugins.language-router.upstream"
local rewrite = require "kong.plugins.language-router.rewrite"
local report = require "kong.plugins.language-router.report"


local pcall = pcall


local LanguageRouter = {
  PRIORITY = 850,
  VERSION = "0.1.0",
}


local function route(conf, state)
  local p = plan.get(conf)
  language.find(conf, p, state)
  upstream.choose(conf, p, state)
  rewrite.body(conf, p, state)
  report.send(conf, state)
end


function LanguageRouter:access(conf)
  local state = {}
  local ok, err = pcall(route, conf, state)
  if not ok then
    report.failed(state, err)
  end
end


return LanguageRouter
