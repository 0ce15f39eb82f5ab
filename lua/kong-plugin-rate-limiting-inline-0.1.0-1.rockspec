package = "kong-plugin-rate-limiting-inline"
version = "0.1.0-1"

source = {
  url = "git+https://example.invalid/ai4v-gateway.git",
  tag = "v0.1.0",
  dir = "lua",
}

description = {
  summary = "Kong plugin: Kong's rate-limiting, counted in the request (no timer per request).",
  detailed = [[
    rate-limiting-inline has the configuration, identifier, windows, counter
    keys and response headers of Kong 3.9's rate-limiting, but counts in the
    request: shm:incr per window (policy local), or one atomic Redis script
    per request (policy redis), instead of a timer on every request.
  ]],
  license = "Apache-2.0",
}

dependencies = {
  "lua >= 5.1",
}

build = {
  type = "builtin",
  modules = {
    ["kong.plugins.rate-limiting-inline.handler"] = "kong/plugins/rate-limiting-inline/handler.lua",
    ["kong.plugins.rate-limiting-inline.schema"] = "kong/plugins/rate-limiting-inline/schema.lua",
    ["kong.plugins.rate-limiting-inline.counters"] = "kong/plugins/rate-limiting-inline/counters.lua",
    ["kong.plugins.rate-limiting-inline.redis"] = "kong/plugins/rate-limiting-inline/redis.lua",
  },
}
