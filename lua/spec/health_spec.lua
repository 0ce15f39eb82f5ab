-- The healthy fallback, against a fake of Kong 3.9.3's kong.runloop.balancer
-- (helpers/balancer_fake.lua: same functions, same return shapes).

local fake = require "helpers.pdk_fake"
local balancer = require "helpers.balancer_fake"

fake.install()
local handler = require "kong.plugins.language-router.handler"
local health = require "kong.plugins.language-router.health"


local UPSTREAMS = { "up-hi", "up-ta", "up-default" }


local function target(name, healthy)
  return { name = name, port = 8087, weight = 100, healthy = healthy }
end


local function run(over, headers)
  local conf = fake.config({
    mappings = { { language = "hi", upstream = "up-hi", service_id = "model-hi" },
                 { language = "ta", upstream = "up-ta" } },
    fallback_upstream = "up-default",
    fallback_service_id = "model-default",
  })
  for k, v in pairs(over or {}) do conf[k] = v end
  local rec = fake.request({ headers = headers or { ["X-Language"] = "hi" }, upstreams = UPSTREAMS })
  handler:access(conf)
  return rec
end


describe("healthy fallback", function()
  before_each(function()
    health.reset()
    fake.clock = 1000
    balancer.install({
      { name = "up-hi", targets = { target("hi-1", true), target("hi-2", true) } },
      { name = "up-ta", targets = { target("ta-1", true) } },
      { name = "up-default", targets = { target("default-1", true) } },
    })
  end)

  teardown(function()
    balancer.uninstall()
  end)

  it("keeps the mapped upstream while it has a healthy target", function()
    balancer.set_target("up-hi", 1, false)
    local rec = run()
    assert.equal("up-hi", rec.upstream)
    assert.equal("header", rec.service_headers["x-language-source"])
  end)

  it("uses the fallback when the mapped upstream has no healthy target", function()
    balancer.set_target("up-hi", 1, false)
    balancer.set_target("up-hi", 2, false)
    local rec = run()
    assert.equal("up-default", rec.upstream)
    assert.equal("fallback", rec.service_headers["x-language-source"])
    assert.equal("hi", rec.service_headers["x-detected-language"])
    local shared = rec.shared.language_router
    assert.equal("up-default", shared.upstream)
    assert.equal("up-hi", shared.unhealthy_upstream)
    assert.equal("model-default", shared.service_id)
    assert.equal(1, #fake.logs(rec, "notice"))
    assert.truthy(fake.logs(rec, "notice")[1]:find("'up-hi' has no healthy target", 1, true))
  end)

  it("follows the upstream's threshold, as Kong's balancer does", function()
    balancer.install({
      { name = "up-hi", threshold = 60, targets = { target("hi-1", false), target("hi-2", true) } },
      { name = "up-default", targets = { target("default-1", true) } },
    })
    assert.equal("up-default", run().upstream) -- 50 % available is not above 60 %
  end)

  it("keeps the mapped upstream when the fallback is unhealthy too", function()
    balancer.set_target("up-hi", 1, false)
    balancer.set_target("up-hi", 2, false)
    balancer.set_target("up-default", 1, false)
    assert.equal("up-hi", run().upstream)
  end)

  it("changes nothing with health_fallback = false", function()
    balancer.set_target("up-hi", 1, false)
    balancer.set_target("up-hi", 2, false)
    local rec = run({ health_fallback = false })
    assert.equal("up-hi", rec.upstream)
    assert.equal(0, balancer.calls.health)
  end)

  it("counts an upstream without balancer, unknown to Kong, or no balancer module as healthy", function()
    balancer.install({ { name = "up-hi", balancer = false, targets = {} },
                       { name = "up-default", targets = { target("d", true) } } })
    assert.equal("up-hi", run().upstream)

    health.reset()
    balancer.install({ { name = "up-default", targets = { target("d", true) } } })
    assert.equal("up-hi", run().upstream)

    health.reset()
    balancer.uninstall()
    package.preload["kong.runloop.balancer"] = function() error("not in Kong") end
    local rec = run()
    package.preload["kong.runloop.balancer"] = nil
    assert.equal("up-hi", rec.upstream)
    assert.equal(0, #fake.logs(rec, "err"))
  end)

  it("asks Kong once per upstream per health_cache_seconds in a worker", function()
    balancer.set_target("up-hi", 1, false)
    balancer.set_target("up-hi", 2, false)
    for _ = 1, 5 do
      assert.equal("up-default", run({ health_cache_seconds = 5 }).upstream)
    end
    assert.equal(2, balancer.calls.health) -- up-hi and up-default, once each

    balancer.set_target("up-hi", 1, true)
    assert.equal("up-default", run({ health_cache_seconds = 5 }).upstream) -- cached
    fake.clock = 1006
    assert.equal("up-hi", run({ health_cache_seconds = 5 }).upstream)
    assert.equal(3, balancer.calls.health)
  end)

  it("asks on every request with health_cache_seconds = 0", function()
    for _ = 1, 3 do run({ health_cache_seconds = 0 }) end
    assert.equal(3, balancer.calls.health)
  end)

  it("never asks for requests that go to the fallback anyway", function()
    run({}, { ["X-Language"] = "xx" })
    run({ fallback_upstream = "up-hi" })
    assert.equal(0, balancer.calls.health)
  end)
end)
