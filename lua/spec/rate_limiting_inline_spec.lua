-- rate-limiting-inline (issue 23) on the PDK fake: Kong 3.9.3's rate-limiting
-- (kong/plugins/rate-limiting/handler.lua, policies/init.lua), counted in the
-- request. Kong's own expiration.lua and pdk/private/rate_limiting.lua are
-- used when KONG_SOURCE names a checkout (helpers/rate_limiting_kong), and
-- the schema is then also checked by Kong's schema library against Kong's
-- rate-limiting schema.

local fake = require "helpers.pdk_fake"
local shdict_fake = require "helpers.shdict_fake"
local redis_fake = require "helpers.redis_fake"
local rl_kong = require "helpers.rate_limiting_kong"
local kong_source = require "helpers.kong_source"
local kong_schema = require "helpers.kong_schema"
local plugin_schema = require "helpers.plugin_schema"

fake.install()
rl_kong.install()
local shm = shdict_fake.new()
ngx.shared.kong_rate_limiting_counters = shm

local handler = require "kong.plugins.rate-limiting-inline.handler"
local counters = require "kong.plugins.rate-limiting-inline.counters"


local NOW = 1796686095              -- 2026-12-09 23:28:15 UTC: 15 s into its minute
local MINUTE = 1796686080000        -- its minute's start (ms)
local HOUR = 1796684400000
local ROUTE = "282ff9a1-47a8-5516-b8aa-bdc4b1d1fc92"
local SERVICE = "5a1b3c4d-0000-4000-8000-000000000001"
local EMPTY_UUID = "00000000-0000-0000-0000-000000000000"
local CONSUMER = { id = "8f2c1f2e-0000-4000-8000-000000000001" }
local CREDENTIAL = { id = "c0ffee00-0000-4000-8000-000000000002" }


local function defaults_of(fields)
  local out = {}
  for _, f in ipairs(fields) do
    if f.type == "record" then
      out[f.name] = defaults_of(f.fields)
    else
      out[f.name] = f.default
    end
  end
  return out
end

-- what Kong stores for `config: {}` (a record's defaults filled in)
local DEFAULTS = defaults_of(plugin_schema.config_fields(plugin_schema.load_stub("rate-limiting-inline")))


local function conf(over)
  local c = {}
  for k, v in pairs(DEFAULTS) do
    c[k] = v
  end
  c.redis = {}
  for k, v in pairs(DEFAULTS.redis) do
    c.redis[k] = v
  end
  for k, v in pairs(over or {}) do
    c[k] = v
  end
  return c
end


local function run(c, req)
  req = req or {}
  req.now = req.now or NOW
  fake.clock = req.now
  local rec = fake.request(req)
  local ok, err = pcall(handler.access, handler, c)
  rec.raised = not ok and err or nil
  rec.response_headers = {}
  for k, v in pairs(ngx.header) do
    rec.response_headers[k] = v
  end
  return rec
end


local function key(identifier, stamp, period, route, service)
  return string.format("ratelimit:%s:%s:%s:%s:%s", route or EMPTY_UUID, service or EMPTY_UUID, identifier,
                       string.format("%d", stamp), period)
end


before_each(function()
  shm:flush_all()
  redis_fake.reset()
end)


describe("rate-limiting-inline, policy local", function()
  it("is Kong's rate-limiting's priority", function()
    assert.equal(910, handler.PRIORITY)
    assert.equal("0.1.0", handler.VERSION)
  end)

  it("lets `minute` requests through, refuses the next with Kong's 429 and headers", function()
    local c = conf({ minute = 5, limit_by = "ip" })
    for i = 1, 5 do
      local rec = run(c, { ip = "10.0.0.7" })
      assert.is_nil(rec.exit)
      assert.same({
        ["RateLimit-Limit"] = "5", ["RateLimit-Remaining"] = tostring(5 - i), ["RateLimit-Reset"] = "45",
        ["X-RateLimit-Limit-Minute"] = "5", ["X-RateLimit-Remaining-Minute"] = tostring(5 - i),
      }, rec.response_headers)
    end
    local rec = run(c, { ip = "10.0.0.7" })
    assert.equal(429, rec.exit.status)
    assert.equal("API rate limit exceeded", rec.exit.message)
    assert.same({
      ["RateLimit-Limit"] = "5", ["RateLimit-Remaining"] = "0", ["RateLimit-Reset"] = "45", ["Retry-After"] = "45",
      ["X-RateLimit-Limit-Minute"] = "5", ["X-RateLimit-Remaining-Minute"] = "0",
    }, rec.exit.headers)
  end)

  it("takes a refused request's increments back (Kong counts no refused request)", function()
    local c = conf({ minute = 2, hour = 10, limit_by = "ip" })
    for _ = 1, 6 do
      run(c)
    end
    assert.equal(2, shm:get(key("127.0.0.1", MINUTE, "minute")))
    assert.equal(2, shm:get(key("127.0.0.1", HOUR, "hour")))
    -- the next minute starts from the hour's count
    local rec = run(c, { now = NOW + 60 })
    assert.is_nil(rec.exit)
    assert.equal("7", rec.response_headers["X-RateLimit-Remaining-Hour"])
    assert.equal(3, shm:get(key("127.0.0.1", HOUR, "hour")))
  end)

  it("counts every window in its own key, Kong's get_local_key, with Kong's ttls", function()
    local c = conf({ second = 10, minute = 20, year = 100, limit_by = "consumer", route_id = ROUTE,
                     service_id = SERVICE })
    run(c, { consumer = CONSUMER })
    local stamps = rl_kong.timestamp.get_timestamps(NOW * 1000)
    assert.equal(1, shm:get(key(CONSUMER.id, stamps.second, "second", ROUTE, SERVICE)))
    assert.equal(1, shm:get(key(CONSUMER.id, MINUTE, "minute", ROUTE, SERVICE)))
    assert.equal(1, shm:get(key(CONSUMER.id, stamps.year, "year", ROUTE, SERVICE)))
    assert.equal(1, shm:ttl(key(CONSUMER.id, stamps.second, "second", ROUTE, SERVICE)))
    assert.equal(60, shm:ttl(key(CONSUMER.id, MINUTE, "minute", ROUTE, SERVICE)))
    assert.equal(31536000, shm:ttl(key(CONSUMER.id, stamps.year, "year", ROUTE, SERVICE)))
  end)

  it("a new second is a new window", function()
    local c = conf({ second = 1, minute = 3, limit_by = "ip" })
    assert.is_nil(run(c).exit)
    assert.equal(429, run(c).exit.status)
    assert.is_nil(run(c, { now = NOW + 1 }).exit)
    assert.is_nil(run(c, { now = NOW + 2 }).exit)
    local rec = run(c, { now = NOW + 3 })
    assert.equal(429, rec.exit.status)
    -- the minute is the window out of requests: RateLimit-* and Retry-After are its
    assert.equal("3", rec.exit.headers["RateLimit-Limit"])
    assert.equal("42", rec.exit.headers["Retry-After"])
  end)

  it("RateLimit-* name the window with the fewest requests left, the longest on a tie", function()
    local rec = run(conf({ second = 5, minute = 5, hour = 100, limit_by = "ip" }))
    assert.same({
      ["RateLimit-Limit"] = "5", ["RateLimit-Remaining"] = "4", ["RateLimit-Reset"] = "45",
      ["X-RateLimit-Limit-Second"] = "5", ["X-RateLimit-Remaining-Second"] = "4",
      ["X-RateLimit-Limit-Minute"] = "5", ["X-RateLimit-Remaining-Minute"] = "4",
      ["X-RateLimit-Limit-Hour"] = "100", ["X-RateLimit-Remaining-Hour"] = "99",
    }, rec.response_headers)
    rec = run(conf({ second = 2, minute = 50, limit_by = "ip" }), { ip = "10.0.0.9" })
    assert.equal("1", rec.response_headers["RateLimit-Remaining"])
    assert.equal("1", rec.response_headers["RateLimit-Reset"])
  end)

  it("on a refusal, a window not over its limit shows what is left without the refused request", function()
    local c = conf({ second = 1, minute = 10, limit_by = "ip" })
    run(c)
    local rec = run(c)
    assert.equal(429, rec.exit.status)
    assert.equal("0", rec.exit.headers["X-RateLimit-Remaining-Second"])
    assert.equal("9", rec.exit.headers["X-RateLimit-Remaining-Minute"])
    assert.equal("1", rec.exit.headers["Retry-After"])
  end)

  it("hide_client_headers: no header, the refusal unchanged", function()
    local c = conf({ minute = 1, limit_by = "ip", hide_client_headers = true })
    assert.same({}, run(c).response_headers)
    local rec = run(c)
    assert.equal(429, rec.exit.status)
    assert.same({}, rec.exit.headers)
  end)

  it("answers error_code with error_message", function()
    local c = conf({ minute = 1, limit_by = "ip", error_code = 503, error_message = "slow down" })
    run(c)
    local rec = run(c)
    assert.equal(503, rec.exit.status)
    assert.equal("slow down", rec.exit.message)
  end)

  it("writes its headers with those another rate-limit plugin stored (kong.pdk.private.rate_limiting)", function()
    local rec = fake.request({ now = NOW })
    ngx.ctx.__rate_limiting_context__ = { ["X-Other-Limit"] = 7 }
    handler:access(conf({ minute = 5, limit_by = "ip" }))
    assert.equal("7", ngx.header["X-Other-Limit"])
    assert.equal("4", ngx.header["RateLimit-Remaining"])
    assert.is_nil(rec.exit)
  end)

  it("a full shared dict: proxies and logs when fault_tolerant, raises (Kong: 500) when not", function()
    shm.fail = "no memory"
    local rec = run(conf({ minute = 5, limit_by = "ip" }))
    assert.is_nil(rec.exit)
    assert.is_nil(rec.raised)
    assert.same({}, rec.response_headers)
    assert.matches("failed to get usage: could not increment counter for period 'minute': no memory",
                   fake.logs(rec, "err")[1], 1, true)
    shm.fail = "no memory"
    rec = run(conf({ minute = 5, limit_by = "ip", fault_tolerant = false }))
    assert.matches("no memory", rec.raised, 1, true)
  end)
end)


describe("rate-limiting-inline identifier (Kong's get_identifier)", function()
  local function counted(c, req)
    run(c, req)
    local found = {}
    for k in pairs(shm.values) do
      found[#found + 1] = k
    end
    shm:flush_all()
    return found
  end

  local function only(identifier)
    return { key(identifier, MINUTE, "minute") }
  end

  it("consumer: the consumer, else the credential, else the client's address", function()
    local c = conf({ minute = 5 })
    assert.same(only(CONSUMER.id), counted(c, { consumer = CONSUMER, credential = CREDENTIAL }))
    assert.same(only(CREDENTIAL.id), counted(c, { credential = CREDENTIAL }))
    assert.same(only("10.1.2.3"), counted(c, { ip = "10.1.2.3" }))
  end)

  it("credential: the credential, else the address", function()
    local c = conf({ minute = 5, limit_by = "credential" })
    assert.same(only(CREDENTIAL.id), counted(c, { consumer = CONSUMER, credential = CREDENTIAL }))
    assert.same(only("10.1.2.3"), counted(c, { consumer = CONSUMER, ip = "10.1.2.3" }))
  end)

  it("service: the service, else the address", function()
    local c = conf({ minute = 5, limit_by = "service" })
    assert.same(only(SERVICE), counted(c, { service = { id = SERVICE } }))
    assert.same(only("10.1.2.3"), counted(c, { ip = "10.1.2.3" }))
  end)

  it("header: its value, else the address", function()
    local c = conf({ minute = 5, limit_by = "header", header_name = "X-Client-Identity" })
    assert.same(only("user-1"), counted(c, { headers = { ["x-client-identity"] = "user-1" } }))
    assert.same(only("10.1.2.3"), counted(c, { ip = "10.1.2.3" }))
  end)

  it("path: the path when it is the configured one, else the address", function()
    local c = conf({ minute = 5, limit_by = "path", path = "/api/v1/config" })
    assert.same(only("/api/v1/config"), counted(c, { uri = "/api/v1/config?x=1" }))
    assert.same(only("10.1.2.3"), counted(c, { uri = "/api/v1/other", ip = "10.1.2.3" }))
  end)

  it("ip: the address", function()
    assert.same(only("10.1.2.3"), counted(conf({ minute = 5, limit_by = "ip" }), { consumer = CONSUMER, ip = "10.1.2.3" }))
  end)
end)


describe("rate-limiting-inline, policy redis", function()
  local server

  local function rconf(over)
    local c = conf({ minute = 3, hour = 5, limit_by = "ip", policy = "redis" })
    c.redis.host = "127.0.0.1"
    for k, v in pairs(over or {}) do
      c[k] = v
    end
    return c
  end

  before_each(function()
    server = redis_fake.server
  end)

  local function commands()
    local out = {}
    for i, call in ipairs(server.calls) do
      out[i] = call[1]
    end
    return out
  end

  it("one EVAL a request on a pooled connection, kept alive as Kong does", function()
    local c = rconf()
    for i = 1, 3 do
      local rec = run(c)
      assert.is_nil(rec.exit)
      assert.equal(tostring(3 - i), rec.response_headers["X-RateLimit-Remaining-Minute"])
    end
    assert.same({ "eval", "eval", "eval" }, commands())
    assert.same({ 10000, 100 }, server.keepalives[3])
    local eval = server.calls[1]
    assert.equal(counters.SCRIPT, eval[2])
    assert.same({ 2, key("127.0.0.1", MINUTE, "minute"), key("127.0.0.1", HOUR, "hour"), 3, 5, 60, 3600 },
                { select(3, unpack(eval)) })
    assert.equal("3", server.data[key("127.0.0.1", MINUTE, "minute")] and
                      tostring(server.data[key("127.0.0.1", MINUTE, "minute")]))
  end)

  it("refuses over a limit and leaves every count as it was; a new key expires with its window", function()
    local c = rconf()
    for _ = 1, 3 do
      run(c)
    end
    local rec = run(c)
    assert.equal(429, rec.exit.status)
    assert.equal("45", rec.exit.headers["Retry-After"])
    assert.equal("2", rec.exit.headers["X-RateLimit-Remaining-Hour"])
    assert.equal(3, server.data[key("127.0.0.1", MINUTE, "minute")])
    assert.equal(3, server.data[key("127.0.0.1", HOUR, "hour")])
    assert.equal(NOW + 60, server.ttl[key("127.0.0.1", MINUTE, "minute")])
    assert.equal(NOW + 3600, server.ttl[key("127.0.0.1", HOUR, "hour")])
    -- next minute: the hour has 2 left
    assert.is_nil(run(c, { now = NOW + 60 }).exit)
    assert.is_nil(run(c, { now = NOW + 61 }).exit)
    assert.equal(429, run(c, { now = NOW + 62 }).exit.status)
    assert.equal(5, server.data[key("127.0.0.1", HOUR, "hour")])
  end)

  it("a new connection authenticates and selects the database first (Kong's get_redis_connection)", function()
    local c = rconf()
    c.redis.password = "s3cret"
    c.redis.username = "kong"
    c.redis.database = 2
    run(c)
    run(c)
    assert.same({ "auth", "select", "eval", "eval" }, commands())
    assert.same({ "auth", "kong", "s3cret" }, server.calls[1])
    assert.same({ "select", 2 }, server.calls[2])
    assert.equal("127.0.0.1:6379;2", server.pools["127.0.0.1:6379;2"] and "127.0.0.1:6379;2")
  end)

  it("fault_tolerant: Redis down proxies without headers and logs", function()
    server.down = true
    local rec = run(rconf())
    assert.is_nil(rec.exit)
    assert.is_nil(rec.raised)
    assert.same({}, rec.response_headers)
    assert.same({ "failed to connect to Redis: connection refused", "failed to get usage: connection refused" },
                fake.logs(rec, "err"))
  end)

  it("not fault_tolerant: Redis down or an error reply raises (Kong answers 500)", function()
    server.down = true
    local rec = run(rconf({ fault_tolerant = false }))
    assert.matches("connection refused", rec.raised, 1, true)
    server.down = false
    server.reply_error = "ERR max memory"
    rec = run(rconf({ fault_tolerant = false }))
    assert.matches("ERR max memory", rec.raised, 1, true)
  end)
end)


describe("rate-limiting-inline schema (typedefs stub)", function()
  local schema = plugin_schema.load_stub("rate-limiting-inline")
  local config = schema.fields[2].config

  it("has Kong's rate-limiting fields but policy local|redis, no sync_rate, no redis_* shorthands", function()
    local names = {}
    for i, f in ipairs(plugin_schema.config_fields(schema)) do
      names[i] = f.name
    end
    assert.same({ "second", "minute", "hour", "day", "month", "year", "limit_by", "header_name", "path", "policy",
                  "fault_tolerant", "redis", "hide_client_headers", "error_code", "error_message" }, names)
    assert.same({ "local", "redis" }, config.fields[10].policy.one_of)
    assert.is_nil(config.shorthand_fields)
  end)

  it("a longer window may not allow fewer requests (Kong's message)", function()
    assert.is_true(config.custom_validator({ second = 1, minute = 60, year = 60 }))
    local ok, err = config.custom_validator({ minute = 10, hour = 5 })
    assert.is_nil(ok)
    assert.equal("The limit for hour(5.0) cannot be lower than the limit for minute(10.0)", err)
  end)
end)


local describe_kong = kong_source.root and describe or pending
describe_kong("rate-limiting-inline schema (Kong 3.9 schema library, KONG_SOURCE)", function()
  local check, setup, teardown = kong_schema.processor(kong_source.root, "rate-limiting-inline")
  lazy_setup(setup)
  lazy_teardown(teardown)

  it("fills Kong's defaults", function()
    local entity, ok = check({ minute = 5 })
    assert.is_true(ok)
    assert.equal("consumer", entity.config.limit_by)
    assert.equal("local", entity.config.policy)
    assert.equal(6379, entity.config.redis.port)
    assert.equal(2000, entity.config.redis.timeout)
    assert.equal(429, entity.config.error_code)
  end)

  it("refuses what Kong's rate-limiting refuses, and cluster and sync_rate", function()
    local function errors(config)
      local _, ok, err = check(config)
      assert.is_nil(ok)
      return err
    end
    assert.matches("at least one of these fields must be non-empty: 'config.second'",
                   errors({})["@entity"][1], 1, true)
    assert.same({ minute = "value must be greater than 0" }, errors({ minute = 0 }).config)
    assert.equal("The limit for hour(5.0) cannot be lower than the limit for minute(10.0)",
                 errors({ minute = 10, hour = 5 }).config)
    assert.same({ redis = { host = "required field missing" } }, errors({ minute = 5, policy = "redis" }).config)
    assert.same({ header_name = "required field missing" }, errors({ minute = 5, limit_by = "header" }).config)
    assert.same({ path = "required field missing" }, errors({ minute = 5, limit_by = "path" }).config)
    assert.same({ path = "should start with: /" }, errors({ minute = 5, path = "no-slash" }).config)
    assert.same({ policy = "expected one of: local, redis" }, errors({ minute = 5, policy = "cluster" }).config)
    assert.same({ sync_rate = "unknown field" }, errors({ minute = 5, sync_rate = -1 }).config)
    -- (a valid redis.host is not checked here: helpers/kong_schema stubs kong.tools.ip, which
    -- typedefs.host needs; the live check loads policy redis into a real Kong)
  end)
end)


describe_kong("rate-limiting-inline schema against Kong's rate-limiting (KONG_SOURCE)", function()
  local function fields(name)
    local Plugins, restore = kong_schema.load(kong_source.root, name)
    local out = {}
    for _, f in ipairs(plugin_schema.config_fields(Plugins.subschemas[name])) do
      out[f.name] = f
    end
    restore()
    return out
  end

  it("has every field of Kong's, defined the same, but sync_rate (gone) and policy (no cluster)", function()
    local kong_rl, inline = fields("rate-limiting"), fields("rate-limiting-inline")
    assert.is_not_nil(kong_rl.sync_rate)
    assert.same({ "local", "cluster", "redis" }, kong_rl.policy.one_of)
    assert.same({ "local", "redis" }, inline.policy.one_of)
    kong_rl.sync_rate = nil
    kong_rl.policy.one_of, inline.policy.one_of = nil, nil
    assert.same(kong_rl, inline)
  end)
end)
