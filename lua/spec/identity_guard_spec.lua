-- identity-guard handler (issue 7, items 1, 6, 7, 8) on the PDK fake.
-- The JWT cases run twice: with a parser shaped like Kong's, and with Kong
-- 3.9.3's own kong/plugins/jwt/jwt_parser.lua when KONG_SOURCE names a Kong
-- checkout (pending otherwise).

local cjson = require "cjson.safe"
local fake = require "helpers.pdk_fake"
local jwt = require "helpers.jwt"
local md5 = require "helpers.md5"
local kong_source = require "helpers.kong_source"
local kong_schema = require "helpers.kong_schema"
local plugin_schema = require "helpers.plugin_schema"

fake.install()


local PARSER = "kong.plugins.jwt.jwt_parser"
local HANDLER = "kong.plugins.identity-guard.handler"

local KONG_ROOT = kong_source.root


-- the handler, loaded with `parser` as kong.plugins.jwt.jwt_parser
local function load_handler(parser)
  local saved = package.loaded[PARSER]
  package.loaded[PARSER] = parser
  package.loaded[HANDLER] = nil
  local handler = require(HANDLER)
  package.loaded[HANDLER] = nil
  package.loaded[PARSER] = saved
  return handler
end


local handler = load_handler(jwt.fake_parser)


-- schema.lua's defaults (helpers/plugin_schema.lua): the configuration Kong stores for `config: {}`
local DEFAULTS = plugin_schema.defaults("identity-guard")
local IDENTITY_HEADERS = DEFAULTS.strip_headers
local UNAUTHORIZED = DEFAULTS.unauthorized_message
local WWW_AUTHENTICATE = 'Bearer realm="ai4v-gateway"'

local CONSUMER = { id = "8f2c1f2e-0000-4000-8000-000000000001", username = "web-user" }
local ANONYMOUS = { id = "8f2c1f2e-0000-4000-8000-00000000000a", username = "anonymous" }
local KEY_CREDENTIAL = { id = "c0ffee00-0000-4000-8000-000000000002" }
local JWT_CREDENTIAL = { id = "c0ffee00-0000-4000-8000-000000000003", key = "web-issuer" }


local function conf(over)
  local c = plugin_schema.defaults("identity-guard")
  for k, v in pairs(over or {}) do
    c[k] = v
  end
  return c
end


local function access(h, c, req)
  local rec = fake.request(req)
  h:access(c)
  return rec
end


-- a request the jwt plugin authenticated with `claims`
local function jwt_request(claims, extra)
  local req = {
    consumer = CONSUMER,
    credential = JWT_CREDENTIAL,
    shared = { authenticated_jwt_token = jwt.token(claims) },
  }
  for k, v in pairs(extra or {}) do
    req[k] = v
  end
  return req
end


local function identity_of(rec)
  return rec.service_headers["x-client-identity"]
end


local function assert_passed_without_identity(rec)
  assert.is_nil(rec.exit)
  assert.is_nil(identity_of(rec))
  assert.is_true(rec.cleared["x-client-identity"])
  assert.is_nil(rec.shared.client_identity)
end


describe("identity-guard schema", function()
  -- schema.lua as LuaJIT loads it (helpers/plugin_schema.lua); tests/test_plugin_schemas.py
  -- checks that Kong's own plugin loader reads it the same way
  local schema = plugin_schema.load_stub("identity-guard")
  local typedefs = plugin_schema.typedefs

  local function config_defs()
    local defs = {}
    for _, f in ipairs(schema.fields[3].config.fields) do
      local name, def = next(f)
      defs[name] = def
    end
    return defs
  end

  it("has a default for every field, every field required", function()
    for _, field in ipairs(plugin_schema.config_fields(schema)) do
      assert.is_true(field.required, field.name)
      assert.is_not_nil(field.default, field.name)
    end
  end)

  it("checks header names with Kong's header_name typedef, and has no consumer scope", function()
    local defs = config_defs()
    local validate_header_name = typedefs.header_name.custom_validator
    assert.equal(validate_header_name, defs.strip_headers.elements.custom_validator)
    assert.equal(validate_header_name, defs.identity_header.custom_validator)
    assert.equal(validate_header_name, defs.redact_headers.elements.custom_validator)
    assert.equal(typedefs.no_consumer, schema.fields[1].consumer)
  end)
end)


local describe_kong = KONG_ROOT and describe or pending
describe_kong("identity-guard schema (Kong 3.9 schema library, KONG_SOURCE)", function()
  local process, setup, teardown = kong_schema.processor(KONG_ROOT, "identity-guard")
  lazy_setup(setup)
  lazy_teardown(teardown)

  it("fills the defaults these specs run with", function()
    local entity, ok = process({})
    assert.is_true(ok)
    assert.same(conf(), entity.config)
  end)

  it("accepts a service's override", function()
    local _, ok, err = process({ reject_anonymous = false, identity_header = "X-Ident",
                                 redact_query_args = {}, strip_headers = { "X-Consumer-ID" } })
    assert.is_nil(err)
    assert.is_true(ok)
  end)

  it("rejects bad values", function()
    for _, config in ipairs({
      { identity_header = "X Ident" },
      { strip_headers = { "X-Consumer-ID", "bad header" } },
      { redact_headers = { "a:b" } },
      { subject_claim = "" },
      { reject_anonymous = "yes" },
      { redact_query_args = "apikey" },
      { unknown_field = true },
    }) do
      local _, ok, err = process(config)
      assert.is_nil(ok, cjson.encode(config))
      assert.is_table(err)
    end
  end)

  it("cannot be scoped to a consumer", function()
    local _, ok = process({}, { consumer = { id = "8f2c1f2e-0000-4000-8000-000000000001" } })
    assert.is_nil(ok)
  end)
end)


describe("identity-guard handler", function()

  it("has Kong plugin metadata and runs between the auth plugins and acl", function()
    assert.equal("0.1.0", handler.VERSION)
    assert.equal(1000, handler.PRIORITY)
    -- kong/plugins/*/handler.lua PRIORITY: jwt 1450, key-auth 1250 before us;
    -- ip-restriction 990, acl 950, rate-limiting 910, http-log 12, file-log 9 after
    assert.is_true(handler.PRIORITY < 1250 and handler.PRIORITY > 990)
    assert.is_function(handler.rewrite)
    assert.is_function(handler.access)
    assert.is_function(handler.log)
  end)


  describe("rewrite", function()
    local function forged()
      local headers = { ["X-Language"] = "hi", Authorization = "Bearer abc", apikey = "k" }
      for i, name in ipairs(IDENTITY_HEADERS) do
        headers[i % 2 == 0 and name:lower() or name] = "forged"
      end
      headers["x-client-identity"] = "someone-else"
      return headers
    end

    it("removes every identity header and the identity header the client sent", function()
      local rec = fake.request({ headers = forged() })
      handler:rewrite(conf())
      for _, name in ipairs(IDENTITY_HEADERS) do
        assert.is_true(rec.cleared[name:lower()], name)
        assert.is_nil(fake.kong.request.get_header(name), name)
      end
      assert.is_true(rec.cleared["x-client-identity"])
      assert.is_nil(fake.kong.request.get_header("X-Client-Identity"))
      -- nothing else is touched: the auth plugins still see the credentials
      assert.equal("hi", fake.kong.request.get_header("X-Language"))
      assert.equal("Bearer abc", fake.kong.request.get_header("Authorization"))
      assert.equal("k", fake.kong.request.get_header("apikey"))
      assert.same({}, fake.logs(rec, "err"))
    end)

    it("removes the identity header even when strip_headers leaves it out", function()
      local rec = fake.request({ headers = { ["X-Ident"] = "forged", ["X-Consumer-ID"] = "forged" } })
      handler:rewrite(conf({ strip_headers = {}, identity_header = "X-Ident" }))
      assert.is_nil(fake.kong.request.get_header("X-Ident"))
      assert.equal("forged", fake.kong.request.get_header("X-Consumer-ID"))
      assert.is_true(rec.cleared["x-ident"])
    end)

    it("lets the auth plugins' values through: only the client's copies go", function()
      local rec = fake.request({ headers = forged() })
      handler:rewrite(conf())
      -- key-auth then authenticates (kong/plugins/key-auth/handler.lua set_consumer)
      fake.kong.service.request.set_header("X-Consumer-ID", CONSUMER.id)
      rec.ctx.authenticated_consumer = CONSUMER
      rec.ctx.authenticated_credential = KEY_CREDENTIAL
      handler:access(conf())
      assert.equal(CONSUMER.id, fake.kong.request.get_header("X-Consumer-ID"))
      assert.equal(CONSUMER.id, fake.kong.request.get_header("X-Client-Identity"))
      assert.is_nil(fake.kong.request.get_header("X-Consumer-Groups"))
    end)

    it("logs an internal error instead of failing the request", function()
      local rec = fake.request({ headers = forged() })
      assert.has_no.errors(function()
        handler:rewrite(conf({ strip_headers = { "X-Consumer-ID", 42 } }))
      end)
      assert.equal(1, #fake.logs(rec, "err"))
      assert.matches("identity%-guard could not remove identity headers", fake.logs(rec, "err")[1])
      assert.is_nil(rec.exit)
    end)
  end)


  describe("access", function()
    it("answers 401 with a JSON message and WWW-Authenticate to an anonymous consumer", function()
      local rec = access(handler, conf(), { consumer = ANONYMOUS })
      assert.same(401, rec.exit.status)
      assert.same({ message = UNAUTHORIZED }, cjson.decode(rec.exit.body))
      assert.equal("application/json; charset=utf-8", rec.exit.headers["content-type"])
      assert.equal(WWW_AUTHENTICATE, rec.exit.headers["www-authenticate"])
      assert.is_nil(identity_of(rec))
      assert.is_nil(rec.shared.client_identity)
    end)

    it("uses the configured realm and message", function()
      local rec = access(handler, conf({ realm = "staging", unauthorized_message = "no" }),
                         { consumer = ANONYMOUS })
      assert.same({ message = "no" }, cjson.decode(rec.exit.body))
      assert.equal('Bearer realm="staging"', rec.exit.headers["www-authenticate"])
    end)

    it("lets an anonymous consumer through when reject_anonymous is off, without identity", function()
      local rec = access(handler, conf({ reject_anonymous = false }),
                         { consumer = ANONYMOUS, headers = { ["X-Client-Identity"] = "forged" } })
      assert_passed_without_identity(rec)
      assert.is_nil(fake.kong.request.get_header("X-Client-Identity"))
    end)

    it("does nothing but drop a forged identity on a route without auth", function()
      local rec = access(handler, conf(), { headers = { ["X-Client-Identity"] = "forged" } })
      assert_passed_without_identity(rec)
      assert.same({}, fake.logs(rec))
    end)

    it("gives an API key the consumer's identity, readable by rate-limiting", function()
      local rec = access(handler, conf(), { consumer = CONSUMER, credential = KEY_CREDENTIAL,
                                            headers = { ["X-Client-Identity"] = "forged" } })
      assert.is_nil(rec.exit)
      assert.equal(CONSUMER.id, identity_of(rec))
      assert.equal(CONSUMER.id, rec.shared.client_identity)
      -- kong/plugins/rate-limiting/handler.lua get_identifier, limit_by = header
      assert.equal(CONSUMER.id, fake.kong.request.get_header("X-Client-Identity"))
    end)

    it("uses the credential when a plugin authenticated one without a consumer", function()
      local rec = access(handler, conf(), { credential = KEY_CREDENTIAL })
      assert.equal(KEY_CREDENTIAL.id, identity_of(rec))
    end)

    it("writes the configured identity header", function()
      local rec = access(handler, conf({ identity_header = "X-Ident" }),
                         { consumer = CONSUMER, credential = KEY_CREDENTIAL })
      assert.equal(CONSUMER.id, rec.service_headers["x-ident"])
      assert.is_nil(identity_of(rec))
    end)

    it("logs an internal error and passes the request on without identity", function()
      -- a verified token whose claims are not an object: indexing them fails
      local token = jwt.b64url('{"alg":"HS256"}') .. "." .. jwt.b64url("5") .. "." .. jwt.b64url("s")
      local rec = access(handler, conf(), { consumer = CONSUMER, credential = JWT_CREDENTIAL,
                                            shared = { authenticated_jwt_token = token },
                                            headers = { ["X-Client-Identity"] = "forged" } })
      assert_passed_without_identity(rec)
      assert.is_nil(fake.kong.request.get_header("X-Client-Identity"))
      assert.matches("identity%-guard error, request passed on without an identity",
                     fake.logs(rec, "err")[1])
    end)

    it("limits a token it cannot re-read as its consumer", function()
      local rec = access(handler, conf(), { consumer = CONSUMER, credential = JWT_CREDENTIAL,
                                            shared = { authenticated_jwt_token = "not-a-jwt" } })
      assert.is_nil(rec.exit)
      assert.equal(CONSUMER.id, identity_of(rec))
      assert.equal(1, #fake.logs(rec, "warn"))
    end)
  end)


  local parsers = {
    { name = "a parser shaped like Kong's", get = function() return jwt.fake_parser end },
    { name = "Kong's own jwt_parser", get = function() return jwt.kong_parser(KONG_ROOT) end,
      needs_kong = true },
  }

  for _, p in ipairs(parsers) do
    local block = (p.needs_kong and not KONG_ROOT) and pending or describe
    block("JWT identity and nbf, with " .. p.name .. (p.needs_kong and " (KONG_SOURCE)" or ""),
      function()
      local h

      setup(function()
        h = load_handler(p.get())
      end)

      it("is the consumer id and the MD5 of the subject", function()
        local rec = access(h, conf(), jwt_request({ iss = "web-issuer", sub = "asha@example.org" }))
        local want = CONSUMER.id .. ":" .. md5("asha@example.org")
        assert.is_nil(rec.exit)
        assert.equal(want, identity_of(rec))
        assert.equal(want, rec.shared.client_identity)
        assert.equal(want, fake.kong.request.get_header("X-Client-Identity"))
      end)

      it("gives two users of one consumer two identities", function()
        local a = identity_of(access(h, conf(), jwt_request({ sub = "user-a" })))
        local b = identity_of(access(h, conf(), jwt_request({ sub = "user-b" })))
        assert.are_not.equal(a, b)
      end)

      it("writes a numeric subject with every digit", function()
        local rec = access(h, conf(), jwt_request('{"sub":123456789012345}'))
        assert.equal(CONSUMER.id .. ":" .. md5("123456789012345"), identity_of(rec))
        local other = access(h, conf(), jwt_request('{"sub":123456789012346}'))
        assert.are_not.equal(identity_of(rec), identity_of(other))
      end)

      it("reads the configured subject claim", function()
        local rec = access(h, conf({ subject_claim = "uid" }), jwt_request({ sub = "x", uid = "u-7" }))
        assert.equal(CONSUMER.id .. ":" .. md5("u-7"), identity_of(rec))
      end)

      it("is the consumer id when the token has no usable subject", function()
        for _, claims in ipairs({ { iss = "web-issuer" }, { sub = "" }, { sub = { "a" } }, { sub = true } }) do
          local rec = access(h, conf(), jwt_request(claims))
          assert.is_nil(rec.exit)
          assert.equal(CONSUMER.id, identity_of(rec))
        end
      end)

      it("refuses a token whose nbf is in the future", function()
        local now = 1800000000
        local rec = access(h, conf(), jwt_request({ sub = "a", nbf = now + 60 }, { now = now }))
        assert.equal(401, rec.exit.status)
        assert.same({ message = "Unauthorized: token not valid yet (nbf)" }, cjson.decode(rec.exit.body))
        assert.equal(WWW_AUTHENTICATE, rec.exit.headers["www-authenticate"])
        assert.is_nil(identity_of(rec))
        assert.is_nil(rec.shared.client_identity)
      end)

      it("refuses an nbf that is not a number", function()
        local rec = access(h, conf(), jwt_request({ sub = "a", nbf = "tomorrow" }))
        assert.equal(401, rec.exit.status)
      end)

      it("accepts a token without nbf, and one whose nbf has passed", function()
        local now = 1800000000
        for _, claims in ipairs({ { sub = "a" }, { sub = "a", nbf = now }, { sub = "a", nbf = now - 3600 } }) do
          local rec = access(h, conf(), jwt_request(claims, { now = now }))
          assert.is_nil(rec.exit)
          assert.equal(CONSUMER.id .. ":" .. md5("a"), identity_of(rec))
        end
      end)

      it("does not look at nbf when verify_nbf is off", function()
        local now = 1800000000
        local rec = access(h, conf({ verify_nbf = false }),
                           jwt_request({ sub = "a", nbf = now + 60 }, { now = now }))
        assert.is_nil(rec.exit)
        assert.equal(CONSUMER.id .. ":" .. md5("a"), identity_of(rec))
      end)
    end)
  end


  describe("log", function()
    local function logged(c, req)
      local rec = fake.request(req)
      handler:log(c or conf())
      local entry = fake.serialize(rec)
      return entry, assert(cjson.encode(entry)), rec
    end

    it("redacts the key in request.uri, request.url, querystring and upstream_uri", function()
      local entry, text = logged(conf(), { uri = "/api/asr?lang=hi&apikey=SECRET&x=1",
                                           upstream_uri = "/v1/asr" })
      assert.equal("/api/asr?lang=hi&apikey=REDACTED&x=1", entry.request.uri)
      assert.equal("http://gateway.test:8000/api/asr?lang=hi&apikey=REDACTED&x=1", entry.request.url)
      assert.same({ lang = "hi", apikey = "REDACTED", x = "1" }, entry.request.querystring)
      assert.equal("/v1/asr?lang=hi&apikey=REDACTED&x=1", entry.upstream_uri)
      assert.is_nil(text:find("SECRET", 1, true))
    end)

    it("redacts an upstream_uri that already carries the arguments", function()
      local entry = logged(conf(), { uri = "/api/asr?jwt=TOKEN", upstream_uri = "/v1/asr?jwt=TOKEN" })
      assert.equal("/v1/asr?jwt=REDACTED", entry.upstream_uri)
    end)

    it("uses the port Kong logs (ctx.host_port)", function()
      local entry = logged(conf(), { uri = "/a?apikey=SECRET", host_port = 443 })
      assert.equal("http://gateway.test:443/a?apikey=REDACTED", entry.request.url)
    end)

    it("matches argument names in any case and every occurrence", function()
      local entry, text = logged(conf(), { uri = "/a?APIKEY=SECRET1&Jwt=SECRET2&apikey=SECRET3&apikey" })
      assert.equal("/a?APIKEY=REDACTED&Jwt=REDACTED&apikey=REDACTED&apikey", entry.request.uri)
      assert.same({ APIKEY = "REDACTED", Jwt = "REDACTED", apikey = "REDACTED" }, entry.request.querystring)
      assert.is_nil(text:find("SECRET", 1, true))
    end)

    it("matches percent-encoded argument names, as nginx decodes them", function()
      local entry, text = logged(conf(), { uri = "/a?api%6Bey=SECRET&q=%20" })
      assert.equal("/a?api%6Bey=REDACTED&q=%20", entry.request.uri)
      assert.same({ apikey = "REDACTED", q = " " }, entry.request.querystring)
      assert.is_nil(text:find("SECRET", 1, true))
    end)

    it("redacts an argument whose name has a dot", function()
      local entry, text = logged(conf({ redact_query_args = { "api.key" } }), { uri = "/a?api.key=SECRET" })
      assert.same({ ["api.key"] = "REDACTED" }, entry.request.querystring)
      assert.is_nil(text:find("SECRET", 1, true))
    end)

    it("leaves a request without query, or without secrets in it, as Kong logs it", function()
      for _, uri in ipairs({ "/api/asr", "/api/asr?", "/api/asr?lang=hi&apikeys=1&xapikey=2" }) do
        local _, _, rec = logged(conf(), { uri = uri, upstream_uri = "/v1/asr" })
        assert.same({}, rec.serialize_values, uri)
      end
    end)

    it("redacts the credential headers that are present, and only those", function()
      local entry, text, rec = logged(conf(), { uri = "/a", headers = {
        ["X-API-Key"] = "SECRET1", Authorization = "Bearer SECRET2", ["X-Language"] = "hi" } })
      assert.equal("REDACTED", entry.request.headers["x-api-key"])
      assert.equal("REDACTED", entry.request.headers.authorization)
      assert.equal("hi", entry.request.headers["x-language"])
      assert.is_nil(entry.request.headers.apikey)
      assert.is_nil(text:find("SECRET", 1, true))
      local keys = {}
      for _, v in ipairs(rec.serialize_values) do
        keys[#keys + 1] = v.key
      end
      table.sort(keys)
      assert.same({ "request.headers.authorization", "request.headers.x-api-key" }, keys)
    end)

    it("keeps every credential of a request out of the entry at once", function()
      local _, text = logged(conf(), { uri = "/api/asr?apikey=SECRET1&jwt=SECRET2", upstream_uri = "/v1/asr",
        headers = { apikey = "SECRET3", ["x-api-key"] = "SECRET4", ["proxy-authorization"] = "SECRET5" } })
      assert.is_nil(text:find("SECRET", 1, true))
    end)

    it("drops the request fields when redaction fails, and logs why", function()
      local entry, text, rec = logged(conf({ redact_headers = { 42 } }),
                                      { uri = "/a?apikey=SECRET", headers = { apikey = "SECRET" } })
      assert.is_nil(text:find("SECRET", 1, true))
      assert.equal("REDACTED", entry.request.uri)
      assert.equal("REDACTED", entry.request.headers)
      assert.matches("could not redact the log entry", fake.logs(rec, "err")[1])
    end)
  end)
end)


describe("identity-guard, one request through every phase", function()
  it("a forged, badly keyed request: headers gone, 401, no key in the log entry", function()
    local rec = fake.request({
      uri = "/api/v1/asr?apikey=WRONGSECRET", upstream_uri = "/v1/asr",
      headers = { ["X-Consumer-Username"] = "admin", ["X-Client-Identity"] = "victim",
                  ["X-API-Key"] = "OTHERSECRET" },
    })
    handler:rewrite(conf())
    assert.is_nil(fake.kong.request.get_header("X-Consumer-Username"))
    assert.is_nil(fake.kong.request.get_header("X-Client-Identity"))
    -- key-auth (anonymous configured) found no valid key: the anonymous consumer
    rec.ctx.authenticated_consumer = ANONYMOUS
    handler:access(conf())
    assert.equal(401, rec.exit.status)
    -- Kong still runs the log phase of the plugins it collected
    handler:log(conf())
    local text = assert(cjson.encode(fake.serialize(rec)))
    assert.is_nil(text:find("SECRET", 1, true))
    assert.truthy(text:find("apikey=REDACTED", 1, true))
  end)
end)


describe("Issue 22 item 14: identity headers spelled with `_`", function()
  -- Kong sets underscores_in_headers on; clear_header matches `_` and `-`
  -- exactly, while kong.request.get_header (ngx.var.http_*) reads both

  -- the raw header names the backend receives
  local function sent_names()
    local names = {}
    for name in pairs(fake.ngx.req.get_headers(0, true)) do
      names[#names + 1] = name:lower()
    end
    table.sort(names)
    return names
  end

  local function underscored()
    local lines = {}
    -- 120 harmless headers first: the copies are past lua_max_req_headers (100)
    for i = 1, 120 do
      lines[#lines + 1] = { "X-Filler-" .. i, "x" }
    end
    for _, name in ipairs(IDENTITY_HEADERS) do
      lines[#lines + 1] = { (name:gsub("%-", "_", 1)), "forged" }
      lines[#lines + 1] = { (name:gsub("%-", "_")), "forged" }
    end
    lines[#lines + 1] = { "X-Client_Identity", "victim" }
    lines[#lines + 1] = { "x_client_identity", "victim" }
    lines[#lines + 1] = { "X-Language", "hi" }
    return lines
  end

  it("the fake reads them as Kong does", function()
    fake.request({ header_lines = { { "X-Client_Identity", "victim" } } })
    assert.equal("victim", fake.kong.request.get_header("X-Client-Identity"))
    fake.kong.service.request.clear_header("X-Client-Identity")
    assert.equal("victim", fake.kong.request.get_header("X-Client-Identity"))
    -- ngx.req.get_headers stops at lua_max_req_headers (100) unless told 0
    fake.request({ header_lines = underscored() })
    local first, truncated = fake.ngx.req.get_headers()
    assert.equal("truncated", truncated)
    assert.is_nil(first["x-client_identity"])
    assert.equal("victim", fake.ngx.req.get_headers(0)["x-client_identity"])
  end)

  it("rewrite removes every spelling of every identity header, however many headers come first", function()
    local rec = fake.request({ header_lines = underscored() })
    handler:rewrite(conf())
    for _, name in ipairs(IDENTITY_HEADERS) do
      assert.is_nil(fake.kong.request.get_header(name), name)
    end
    assert.is_nil(fake.kong.request.get_header("X-Client-Identity"))
    local names = sent_names()
    for _, name in ipairs(names) do
      assert.is_nil(name:find("_", 1, true), name)
    end
    assert.equal(121, #names)
    assert.equal("hi", fake.kong.request.get_header("X-Language"))
    assert.same({}, fake.logs(rec, "err"))
  end)

  it("on the clear paths, no client spelling chooses the rate-limit bucket", function()
    -- a route without auth, and an anonymous consumer let through; access
    -- alone, as for an instance that is not global (no rewrite phase)
    for _, req in ipairs({ {}, { consumer = ANONYMOUS } }) do
      req.header_lines = { { "X-Client_Identity", "victim" } }
      local rec = fake.request(req)
      handler:access(conf({ reject_anonymous = false }))
      assert.is_nil(rec.exit)
      -- kong/plugins/rate-limiting/handler.lua get_identifier, limit_by = header
      assert.is_nil(fake.kong.request.get_header("X-Client-Identity"))
      assert.same({}, sent_names())
    end
  end)

  it("after the global rewrite, a route instance counting on another header still removes that header's spellings", function()
    -- rewrite tells access which names it cleared (kong.ctx.plugin), so
    -- access skips its own scan for those only
    local rec = fake.request({ consumer = CONSUMER, credential = KEY_CREDENTIAL,
                               header_lines = { { "X-Client_Identity", "victim" }, { "X-Tenant_Id", "forged" } } })
    handler:rewrite(conf())
    handler:access(conf())
    assert.same({ "x-client-identity", "x-tenant_id" }, sent_names())
    assert.equal(CONSUMER.id, rec.service_headers["x-client-identity"])

    rec = fake.request({ consumer = CONSUMER, credential = KEY_CREDENTIAL,
                         header_lines = { { "X-Tenant_Id", "forged" } } })
    handler:rewrite(conf())
    handler:access(conf({ identity_header = "X-Tenant-Id" }))
    assert.same({ "x-tenant-id" }, sent_names())
    assert.equal(CONSUMER.id, rec.service_headers["x-tenant-id"])
  end)

  it("an authenticated request goes out with the gateway's identity only", function()
    local rec = fake.request({ consumer = CONSUMER, credential = KEY_CREDENTIAL,
                               header_lines = { { "X-Client_Identity", "victim" } } })
    handler:access(conf())
    assert.equal(CONSUMER.id, fake.kong.request.get_header("X-Client-Identity"))
    assert.same({ "x-client-identity" }, sent_names())
    assert.equal(CONSUMER.id, rec.service_headers["x-client-identity"])
  end)
end)


describe("Issue 22 item 15: credentials out of the query, nothing else touched", function()
  local many = {}
  for i = 1, 120 do
    many[i] = "p" .. i .. "=" .. i
  end
  many = table.concat(many, "&")

  local function pass(uri, req)
    req = req or { consumer = CONSUMER, credential = JWT_CREDENTIAL }
    req.uri = uri
    local rec = fake.request(req)
    handler:access(conf())
    assert.is_nil(rec.exit)
    return rec
  end

  it("leaves a query without a credential alone, however long", function()
    for _, query in ipairs({ "b=2&a=%2F&a=1", "b=2&a=%2F&a=1&" .. many, "q=a%20b&x=a/b&flag&&z=" }) do
      local rec = pass("/api/v1/nmt?" .. query)
      assert.is_nil(rec.raw_query, query)
      assert.equal(query, rec.var.args)
    end
  end)

  it("removes every credential argument, any case or encoding, and keeps the rest byte for byte", function()
    local rec = pass("/api/v1/nmt?b=2&apikey=K1&a=%2F&JWT=t&a=1&api%6Bey=K2&q=a%20b&" .. many .. "&apikey")
    assert.equal("b=2&a=%2F&a=1&q=a%20b&" .. many, rec.raw_query)
    rec = pass("/api/v1/nmt?apikey=K", {})   -- a route without auth (the auth service)
    assert.equal("", rec.raw_query)
    assert.equal("", rec.var.is_args)
  end)

  it("does nothing for a request it refuses", function()
    local rec = fake.request({ uri = "/api/v1/nmt?apikey=K", consumer = ANONYMOUS })
    handler:access(conf())
    assert.equal(401, rec.exit.status)
    assert.is_nil(rec.raw_query)
  end)
end)


describe("spec helpers", function()
  it("md5 is RFC 1321's (the fake ngx.md5)", function()
    assert.equal("d41d8cd98f00b204e9800998ecf8427e", md5(""))
    assert.equal("0cc175b9c0f1b6a831c399e269772661", md5("a"))
    assert.equal("900150983cd24fb0d6963f7d28e17f72", md5("abc"))
    assert.equal("f96b697d7cb7938d525a2f31aaf161d0", md5("message digest"))
    assert.equal("57edf4a22be3c955ac49da2e2107b67a", md5(string.rep("1234567890", 8)))
  end)

  it("base64url round-trips every length", function()
    for n = 0, 7 do
      local s = ("\255\0a?>~"):rep(2):sub(1, n)
      assert.equal(s, jwt.b64url_decode(jwt.b64url(s)))
    end
    assert.is_nil(jwt.b64url_decode("a*b"))
  end)
end)
