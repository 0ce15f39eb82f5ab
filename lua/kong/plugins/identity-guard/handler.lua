-- identity-guard: the gateway, not the client, says who a request is.
--
-- rewrite (global instance only: kong/init.lua Kong.rewrite runs
--   execute_global_plugins_iterator): removes the client's copies of the
--   identity headers, before any auth plugin runs.
-- access (after jwt 1450 and key-auth 1250, before acl 950 and rate-limiting
--   910): refuses anonymous consumers, checks `nbf` when a JWT carries it, and
--   sets the identity header that rate-limiting (limit_by = header) counts on.
-- log (before file-log 9 / http-log 12): keeps credentials out of
--   kong.log.serialize(), the payload of every logging plugin.
--
-- Every phase is wrapped: an internal error is logged, never a 500.

local jwt_parser = require "kong.plugins.jwt.jwt_parser"


local kong = kong
local ngx = ngx
local type = type
local pcall = pcall
local pairs = pairs
local ipairs = ipairs
local tostring = tostring
local tonumber = tonumber
local setmetatable = setmetatable
local get_request_headers = ngx.req.get_headers
local find = string.find
local sub = string.sub
local gsub = string.gsub
local gmatch = string.gmatch
local concat = table.concat
local lower = string.lower
local char = string.char
local byte = string.byte
local fmt = string.format


local REDACTED = "REDACTED"
local NBF_MESSAGE = "Unauthorized: token not valid yet (nbf)"
local NBF_CLAIM = { "nbf" }
local QUESTION_MARK = byte("?")
local NONE = {}


local IdentityGuard = {
  PRIORITY = 1000,
  VERSION = "0.1.0",
}


-- an error message made fit for a log line
local function clean(msg)
  msg = tostring(msg)
  if #msg > 200 then
    msg = sub(msg, 1, 200) .. "..."
  end
  return (gsub(msg, "%c", "?"))
end


-- a header name as nginx's $http_* variables read it: case-insensitive, `_`
-- and `-` alike (ngx_http_variables.c ngx_http_variable_unknown_header)
local function spelled(name)
  return (gsub(lower(name), "_", "-"))
end


---------------------------------------------------------------------------
-- per-configuration plan (built once per plugin configuration table)
---------------------------------------------------------------------------

local plans = setmetatable({}, { __mode = "k" })


local function get_plan(conf)
  local plan = plans[conf]
  if plan then
    return plan
  end

  -- the identity header is always removed, whatever strip_headers says
  local identity_key = spelled(conf.identity_header)
  local strip = { conf.identity_header }
  for _, name in ipairs(conf.strip_headers) do
    if lower(name) ~= lower(conf.identity_header) then
      strip[#strip + 1] = name
    end
  end

  -- every name we own, lower case with `_` read as `-` (see clear_spellings)
  local owned = {}
  for _, name in ipairs(strip) do
    owned[spelled(name)] = true
  end

  local query_names = {}
  for _, name in ipairs(conf.redact_query_args) do
    query_names[lower(name)] = true
  end

  local header_keys = {}
  for _, name in ipairs(conf.redact_headers) do
    -- kong.log.serialize() holds kong.request.get_headers(): lower-case keys
    header_keys[#header_keys + 1] = { name = name, key = "request.headers." .. lower(name) }
  end

  plan = {
    strip = strip,
    owned = owned,
    strip_identity = { conf.identity_header },
    identity_key = identity_key,
    identity_owned = { [identity_key] = true },
    query_names = query_names,
    header_keys = header_keys,
    -- same text as the jwt plugin's (kong/plugins/jwt/handler.lua do_authentication)
    www_authenticate = { ["WWW-Authenticate"] = fmt('Bearer realm="%s"', conf.realm) },
  }
  plans[conf] = plan
  return plan
end


---------------------------------------------------------------------------
-- rewrite: forged identity headers
---------------------------------------------------------------------------

-- Removes the client's copies of the headers named in `names` (and in
-- `owned`, their spelled() forms) however the client spelled them.
-- kong/pdk/service/request.lua request.clear_header is ngx.req.clear_header,
-- which compares names case-insensitively but `_` and `-` exactly; Kong sets
-- `underscores_in_headers on` (kong/templates/nginx_kong.lua), so a client's
-- `X-Client_Identity` would survive clear_header("X-Client-Identity"), reach
-- the backend, and be read by kong.request.get_header("X-Client-Identity")
-- (ngx.var.http_x_client_identity matches both spellings), e.g. by
-- rate-limiting's limit_by = header. Those spellings are found among the
-- request's raw header names: ngx.req.get_headers(0, true) returns all of
-- them as sent (0: no lua_max_req_headers cut, so a copy behind 100 other
-- headers is found too; the PDK's kong.request.get_headers stops at 1000).
local function clear_spellings(names, owned)
  local clear_header = kong.service.request.clear_header
  for _, name in ipairs(names) do
    clear_header(name)
  end
  for name in pairs(get_request_headers(0, true)) do
    if find(name, "_", 1, true) and owned[spelled(name)] then
      clear_header(name)
    end
  end
end


local function strip_headers(conf)
  local plan = get_plan(conf)
  clear_spellings(plan.strip, plan.owned)
  -- access then knows which names have no client copy left, and skips a
  -- second scan of every header (~4 µs a request in the bench's worker,
  -- issue 23). kong.ctx.plugin is keyed by the plugin's handler
  -- (kong/init.lua, set_named_ctx(kong, "plugin", plugin.handler, ctx)), so
  -- a route instance's access sees it too; were it per instance, that access
  -- would only scan again
  kong.ctx.plugin.cleared = plan.owned
end


-- whether this request's rewrite removed every spelling of the header whose
-- spelled() form is `key` (no plugin between rewrite and access adds one)
local function cleared(key)
  local done = kong.ctx.plugin.cleared
  return done ~= nil and done[key] == true
end


-- the identity header, however spelled (access: also for an instance that is
-- not global, whose rewrite phase does not run)
local function clear_identity(conf)
  local plan = get_plan(conf)
  if not cleared(plan.identity_key) then
    clear_spellings(plan.strip_identity, plan.identity_owned)
  end
end


function IdentityGuard:rewrite(conf)
  local ok, err = pcall(strip_headers, conf)
  if not ok then
    kong.log.err("identity-guard could not remove identity headers: ", clean(err))
  end
end


---------------------------------------------------------------------------
-- access: anonymous, nbf, identity
---------------------------------------------------------------------------

-- the subject claim as text, or nil; numbers keep every digit (%.17g), so
-- two subjects never share a bucket because of rounding
local function subject_text(claims, name)
  local subject = claims[name]
  if type(subject) == "string" then
    return subject ~= "" and subject or nil
  end
  if type(subject) == "number" then
    return fmt("%.17g", subject)
  end
  return nil
end


-- returns status, body, headers when the request must end, else nil; sets the
-- identity when there is one
local function decide(conf)
  local plan = get_plan(conf)

  -- kong/pdk/client.lua get_consumer / get_credential: ngx.ctx.authenticated_*,
  -- set by kong.client.authenticate(). key-auth and jwt with `anonymous`
  -- configured authenticate the anonymous consumer with no credential
  -- (kong/plugins/{key-auth,jwt}/handler.lua set_anonymous_consumer).
  local consumer = kong.client.get_consumer()
  local credential = kong.client.get_credential()

  if consumer ~= nil and credential == nil then
    if conf.reject_anonymous then
      return 401, { message = conf.unauthorized_message }, plan.www_authenticate
    end
    clear_identity(conf)
    return nil
  end

  local entity = consumer or credential
  if entity == nil or entity.id == nil then
    -- no auth plugin ran on this route: nothing to say about the client
    clear_identity(conf)
    return nil
  end

  local identity = tostring(entity.id)

  -- set by the jwt plugin once the signature and claims_to_verify passed
  -- (kong/plugins/jwt/handler.lua set_consumer)
  local token = kong.ctx.shared.authenticated_jwt_token
  if type(token) == "string" and token ~= "" then
    local jwt, err = jwt_parser:new(token)
    if not jwt then
      kong.log.warn("identity-guard could not re-read the verified token (", clean(err),
                    "): limited as its consumer")

    else
      -- kong/plugins/jwt/jwt_parser.lua verify_registered_claims: nbf must be
      -- a number not after ngx.time(); checked only when the token has one
      if conf.verify_nbf and jwt.claims.nbf ~= nil then
        local valid = jwt:verify_registered_claims(NBF_CLAIM)
        if not valid then
          return 401, { message = NBF_MESSAGE }, plan.www_authenticate
        end
      end

      local subject = subject_text(jwt.claims, conf.subject_claim)
      if subject then
        -- hashed: the subject (often an e-mail) stays out of headers and counters
        identity = identity .. ":" .. ngx.md5(subject)
      end
    end
  end

  -- kong/pdk/service/request.lua request.set_header: ngx.req.set_header, which
  -- kong.request.get_header (kong/tools/http.lua get_header: ngx.var.http_*)
  -- then reads: rate-limiting's get_identifier with limit_by = header sees it.
  -- set_header replaces only the copies spelled with `-`: the others go first
  clear_identity(conf)
  kong.service.request.set_header(conf.identity_header, identity)
  kong.ctx.shared.client_identity = identity
  return nil
end


-- nginx decodes argument names (ngx.req.get_uri_args): `api%6Bey` is `apikey`
local function unescape(s)
  s = gsub(s, "%+", " ")
  return (gsub(s, "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end


-- The credential arguments (`redact_query_args`, any case) out of the query
-- sent to the backend, byte for byte: the other arguments keep their order
-- and encoding, and a query without one is not touched. key-auth's
-- hide_credentials removes only the key it authenticated with, and the jwt
-- plugin never removes a token (kong/plugins/jwt/handler.lua); a
-- request-transformer `remove.querystring` would rebuild every query
-- (access.lua transform_querystrings: sorted, re-encoded, 100 arguments).
local function strip_query(conf)
  local args = ngx.var.args
  if not args or args == "" then
    return
  end

  local names = get_plan(conf).query_names
  local kept, n, changed = {}, 0, false
  for pair in gmatch(args .. "&", "([^&]*)&") do
    local eq = find(pair, "=", 1, true)
    if names[lower(unescape(eq and sub(pair, 1, eq - 1) or pair))] then
      changed = true
    else
      n = n + 1
      kept[n] = pair
    end
  end

  if changed then
    -- Set twice, ngx.var.args first. Kong reads $args and $is_args through
    -- its variable index (lua-kong-nginx-module lualib/resty/kong/var.lua
    -- patch_metatable; ngx_http_lua_kong_var_index.c get_by_index:
    -- ngx_http_get_indexed_variable, the request's cached value) until the
    -- worker's first ngx.req.set_uri_args takes `args` out of the index
    -- (var.lua patch_functions). Live, on Kong 3.9.3: with set_raw_query
    -- (ngx.req.set_uri_args) alone, the first such request of each worker
    -- reached the backend with its old query (kong/runloop/handler.lua access
    -- `after`: `var.upstream_uri .. "?" .. var.args`); with ngx.var.args
    -- alone, a request that came without a query never got the `?` ($is_args
    -- keeps its first value). Both, in this order, reached the backend right
    -- on first and later requests (tests/integration/test_transformation.py,
    -- test_query_edits_reach_the_backend_on_each_workers_first_request).
    local query = concat(kept, "&", 1, n)
    ngx.var.args = query
    kong.service.request.set_raw_query(query)
  end
end


function IdentityGuard:access(conf)
  local ok, status, body, headers = pcall(decide, conf)
  if not ok then
    -- no identity: rate-limiting falls back to the client IP
    kong.log.err("identity-guard error, request passed on without an identity: ", clean(status))
    pcall(clear_identity, conf)

  elseif status then
    -- outside the pcall: kong.response.exit yields the access coroutine
    -- (kong/pdk/response.lua _RESPONSE.exit with ctx.delay_response)
    return kong.response.exit(status, body, headers)
  end

  local err
  ok, err = pcall(strip_query, conf)
  if not ok then
    kong.log.err("identity-guard could not remove credentials from the query: ", clean(err))
  end
end


---------------------------------------------------------------------------
-- log: credentials out of kong.log.serialize()
---------------------------------------------------------------------------

-- `uri` with the value of every argument named in `names` (lower-case set)
-- replaced; nil when there is nothing to replace
local function redact_uri(uri, names)
  local q = find(uri, "?", 1, true)
  if not q then
    return nil
  end

  local changed = false
  local query = gsub(sub(uri, q + 1), "[^&]+", function(pair)
    local eq = find(pair, "=", 1, true)
    if eq and eq < #pair and names[lower(unescape(sub(pair, 1, eq - 1)))] then
      changed = true
      return sub(pair, 1, eq) .. REDACTED
    end
  end)

  if changed then
    return sub(uri, 1, q) .. query
  end
end


-- the upstream_uri field of kong/pdk/log.lua serialize: ngx.var.upstream_uri,
-- with the request's arguments when it has none of its own
local function serialized_upstream_uri(request_uri)
  local var = ngx.var
  local upstream_uri = var.upstream_uri or ""
  if upstream_uri ~= "" and not find(upstream_uri, "?", 1, true) then
    if byte(request_uri, -1) == QUESTION_MARK then
      upstream_uri = upstream_uri .. "?"
    elseif var.is_args == "?" then
      upstream_uri = upstream_uri .. "?" .. (var.args or "")
    end
  end
  return upstream_uri
end


local function redact(conf)
  local plan = get_plan(conf)
  local names = plan.query_names
  local set_value = kong.log.set_serialize_value

  -- kong/pdk/log.lua serialize: request.uri = ctx.request_uri or
  -- var.request_uri (the same value: kong/runloop/handler.lua copies it), which
  -- kong.request.get_path_with_query() returns; request.url ends with it
  local request_uri = kong.request.get_path_with_query()
  local uri = redact_uri(request_uri, names)
  if uri then
    set_value("request.uri", uri)
    local port = ngx.ctx.host_port or kong.request.get_port()
    local prefix = kong.request.get_scheme() .. "://" .. kong.request.get_host()
    set_value("request.url", port and (prefix .. ":" .. port .. uri) or (prefix .. uri))
  end

  local upstream_uri = redact_uri(serialized_upstream_uri(request_uri), names)
  if upstream_uri then
    set_value("upstream_uri", upstream_uri)
  end

  -- request.querystring is kong.request.get_query(): decoded names, values
  -- string | true | array. Replaced whole (a copy): set_serialize_value splits
  -- keys on dots, so "request.querystring.<name>" cannot name `a.b`
  local query = ngx.var.args  -- what get_query parses: nothing to read without it
  query = query and query ~= "" and kong.request.get_query() or NONE
  local copy
  for name, value in pairs(query) do
    if value ~= true and names[lower(name)] then
      if not copy then
        copy = {}
        for k, v in pairs(query) do
          copy[k] = v
        end
      end
      copy[name] = REDACTED
    end
  end
  if copy then
    set_value("request.querystring", copy)
  end

  -- serialize redacts authorization and proxy-authorization itself; other
  -- headers (apikey, X-API-Key) are ours to hide
  local get_header = kong.request.get_header
  for _, h in ipairs(plan.header_keys) do
    if get_header(h.name) ~= nil then
      set_value(h.key, REDACTED)
    end
  end
end


-- what a broken redaction leaves out of the log entry: every field that can
-- carry a credential
local FAIL_CLOSED = { "request.uri", "request.url", "request.querystring",
                      "request.headers", "upstream_uri" }


local function drop_all()
  for _, key in ipairs(FAIL_CLOSED) do
    kong.log.set_serialize_value(key, REDACTED)
  end
end


function IdentityGuard:log(conf)
  local ok, err = pcall(redact, conf)
  if not ok then
    kong.log.err("identity-guard could not redact the log entry, request fields dropped: ",
                 clean(err))
    ok, err = pcall(drop_all)
    if not ok then
      kong.log.err("identity-guard could not drop the request fields: ", clean(err))
    end
  end
end


return IdentityGuard
