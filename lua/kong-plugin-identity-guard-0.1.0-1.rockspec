package = "kong-plugin-identity-guard"
version = "0.1.0-1"

source = {
  url = "git+https://example.invalid/ai4v-gateway.git",
  tag = "v0.1.0",
  dir = "lua",
}

description = {
  summary = "Kong plugin: the gateway, not the client, says who a request is; no credential in logs.",
  detailed = [[
    identity-guard removes client-sent identity headers before authentication,
    refuses anonymous consumers and JWTs whose nbf is in the future, sets a
    per-user identity header (consumer, plus the hashed JWT subject) for
    rate-limiting, and redacts API keys and tokens from logging plugins' payloads.
  ]],
  license = "Apache-2.0",
}

dependencies = {
  "lua >= 5.1",
}

build = {
  type = "builtin",
  modules = {
    ["kong.plugins.identity-guard.handler"] = "kong/plugins/identity-guard/handler.lua",
    ["kong.plugins.identity-guard.schema"] = "kong/plugins/identity-guard/schema.lua",
  },
}
