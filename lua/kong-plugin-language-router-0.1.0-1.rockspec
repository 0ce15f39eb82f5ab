package = "kong-plugin-language-router"
version = "0.1.0-1"

source = {
  url = "git+https://example.invalid/ai4v-gateway.git",
  tag = "v0.1.0",
  dir = "lua",
}

description = {
  summary = "Kong plugin: route AI4V-Core (ULCA) requests by language to an upstream and a model.",
  detailed = [[
    language-router finds the language of a request (headers, query, a JSON body
    field, or script detection over body text), then switches the Kong upstream
    and writes the model (serviceId) into the body. Bodies are scanned without
    decoding (megabytes of base64 audio are skipped). It never fails a request.
  ]],
  license = "Apache-2.0",
}

dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}

build = {
  type = "builtin",
  modules = {
    ["kong.plugins.language-router.handler"] = "kong/plugins/language-router/handler.lua",
    ["kong.plugins.language-router.schema"] = "kong/plugins/language-router/schema.lua",
    ["kong.plugins.language-router.plan"] = "kong/plugins/language-router/plan.lua",
    ["kong.plugins.language-router.language"] = "kong/plugins/language-router/language.lua",
    ["kong.plugins.language-router.body"] = "kong/plugins/language-router/body.lua",
    ["kong.plugins.language-router.upstream"] = "kong/plugins/language-router/upstream.lua",
    ["kong.plugins.language-router.rewrite"] = "kong/plugins/language-router/rewrite.lua",
    ["kong.plugins.language-router.report"] = "kong/plugins/language-router/report.lua",
    ["kong.plugins.language-router.request"] = "kong/plugins/language-router/request.lua",
    ["kong.plugins.language-router.json_path"] = "kong/plugins/language-router/json_path.lua",
    ["kong.plugins.language-router.json_scan"] = "kong/plugins/language-router/json_scan.lua",
    ["kong.plugins.language-router.json_edit"] = "kong/plugins/language-router/json_edit.lua",
    ["kong.plugins.language-router.health"] = "kong/plugins/language-router/health.lua",
    ["kong.plugins.language-router.languages"] = "kong/plugins/language-router/languages.lua",
    ["kong.plugins.language-router.presets"] = "kong/plugins/language-router/presets.lua",
    ["kong.plugins.language-router.detect"] = "kong/plugins/language-router/detect.lua",
    ["kong.plugins.language-router.detect.langdata"] = "kong/plugins/language-router/detect/langdata.lua",
    ["kong.plugins.language-router.detect.romandata"] = "kong/plugins/language-router/detect/romandata.lua",
  },
}
