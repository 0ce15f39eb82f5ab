-- A fake of the parts of Kong 3.9's PDK (and of ngx) our plugins use.
--
-- Signatures and return values follow Kong 3.9.3:
--   kong.request.get_header(name)            -> string|nil (first value); sees
--                                               what kong.service.request.set_header
--                                               / clear_header did (they call
--                                               ngx.req.set_header / clear_header,
--                                               get_header reads ngx.var.http_*,
--                                               which matches `_` and `-` alike:
--                                               kong/tools/http.lua get_header)
--   ngx.req.get_headers(max, raw)            -> the request's headers in order,
--                                               names as sent (raw) or lower
--                                               case; `max` nil: the first 100
--                                               (lua_max_req_headers), 0: all
--   headers                                  -> nginx's list: set_header /
--                                               clear_header match names without
--                                               case, but `_` and `-` exactly
--                                               (ngx_http_lua_headers_in.c)
--   kong.request.get_query_arg(name)         -> string|true|nil (first value)
--   kong.request.get_query()                 -> ngx.req.get_uri_args(): decoded
--                                               names/values, `true` without
--                                               `=`, an array when repeated; a
--                                               new table per call (the query
--                                               parsed again: `query_parses`)
--   kong.request.get_path_with_query()       -> ngx.var.request_uri
--   kong.request.get_scheme() / get_host()   -> ngx.var.scheme / ngx.var.host
--   kong.request.get_port()                  -> tonumber(ngx.var.server_port)
--   kong.client.get_consumer() / get_credential()
--                                            -> ngx.ctx.authenticated_consumer /
--                                               authenticated_credential
--   kong.response.exit(status, body, headers)-> raises on invalid input; a table
--                                               body is sent as JSON
--   kong.log.set_serialize_value(k, v, opts) -> recorded; `serialize(rec)` below
--                                               builds kong.log.serialize()
--   kong.request.get_raw_body([max])         -> body | "" (no body) |
--                                               nil, err (spilled to a file,
--                                               no max); with a max, the file
--                                               read whole (kong/pdk/request.lua)
--   kong.service.request.set_query(args)     -> raises unless a table
--   kong.service.request.set_raw_query(q)    -> ngx.var.args = q (`raw_query`)
--   ngx.req.read_body() / get_body_data([max]) -> see `ngx.req` below
--   ngx.req.get_body_file()                  -> path of the temporary file
--                                               nginx spilled the body to | nil
--   ngx.now()                                -> seconds (settable: `fake.clock`)
--   kong.service.set_upstream(host)          -> true | nil, err
--   kong.service.request.set_header(h, v)    -> raises on invalid input
--   kong.service.request.clear_header(h)    -> counted in `clears`
--   ngx.var.http_<name>                      -> as nginx: every header whose name,
--                                               lower case with `-` read as `_`,
--                                               is <name>, joined with ", "
--   ngx.req.get_headers(...)                 -> counted in `header_scans`
--   kong.service.request.set_raw_body(body)  -> raises unless a string
--   kong.log.<level>(...)                    -> arguments concatenated
--   kong.ctx.shared                          -> a table per request
--   ngx.md5(s) (hex), ngx.time(), ngx.var, ngx.ctx, ngx.escape_uri, ngx.unescape_uri
--   kong.router.get_service()                -> ngx.ctx.service (kong/pdk/router.lua)
--   kong.request.get_path()                  -> the path of ngx.var.request_uri
--                                               (Kong normalizes it: the specs
--                                               send normalized paths)
--   kong.client.get_forwarded_ip()           -> ngx.var.remote_addr (kong/pdk/client.lua)
--   kong.response.error(status, message, headers)
--                                            -> raises unless 400..599 and a
--                                               string|table|nil message; records
--                                               `exit` with the response headers
--                                               set so far (kong/pdk/response.lua)
--   kong.vault.try(callback, options)        -> callback(options): options
--                                               without vault references
--                                               (kong/pdk/vault.lua try)
--   ngx.header                               -> one table (modules keep it in an
--                                               upvalue, as kong.pdk.private.
--                                               rate_limiting does), emptied by
--                                               each request
--   ngx.shared                               -> the specs put their shared dicts in
--   ngx.null                                 -> cjson.null (the same lightuserdata)
--   ngx.log(level, ...)                      -> as kong.log.<level> (ngx.ERR, ngx.INFO, ...)
--
-- `install()` sets the globals `kong` and `ngx` once (the plugin caches it at load time,
-- as in Kong); `request{...}` starts a new request and returns its recorder.

local _M = {}


local cjson = require "cjson.safe"
local md5 = require "helpers.md5"
local plugin_schema = require "helpers.plugin_schema"


local LEVELS = { "debug", "info", "notice", "warn", "err", "crit", "alert", "emerg" }

local current


local function check_header(name, value)
  if type(name) ~= "string" then
    error(string.format("invalid header name %q: got %s, expected string",
                        tostring(name), type(name)), 3)
  end

  local tv = type(value)
  if tv == "table" then
    for _, vv in ipairs(value) do
      if type(vv) ~= "string" then
        error(string.format("invalid header value in array %q: got %s, expected string",
                            name, type(vv)), 3)
      end
    end

  elseif tv ~= "string" and tv ~= "number" and tv ~= "boolean" then
    error(string.format("invalid header value for %q: got %s, expected array of " ..
                        "string, string, number or boolean", name, tv), 3)
  end

  if type(value) ~= "table" then
    value = tostring(value)
  end

  return value
end


local function log_line(level, ...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    parts[i] = tostring((select(i, ...)))
  end
  local line = table.concat(parts)
  current.logs[#current.logs + 1] = { level = level, line = line }
end


-- ngx.unescape_uri for argument names and values ('+' is a space in args)
local function unescape(s)
  s = s:gsub("%+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end


-- ngx.escape_uri(s): lua-nginx-module 0.10.26 ngx_http_lua_util.c
-- ngx_http_lua_escape_uri, its default type (uri_component): every byte but
-- ALPHA, DIGIT, "-", ".", "_", "~" as %XX, upper-case hex
local function escape(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", c:byte())
  end))
end


-- a repeated name gives an array, as ngx.req.get_uri_args and get_headers return it
local function add_value(map, name, value)
  local old = map[name]
  if old == nil then
    map[name] = value
  elseif type(old) == "table" then
    old[#old + 1] = value
  else
    map[name] = { old, value }
  end
end


-- a query string of `args` (name -> string|true|array), in name order: the
-- $args of a request given by its arguments (nginx sets $args whenever the
-- URI has a query)
local function encode_query(args)
  local names = {}
  for name in pairs(args) do
    names[#names + 1] = name
  end
  table.sort(names)
  local parts = {}
  for _, name in ipairs(names) do
    local v = args[name]
    for _, one in ipairs(type(v) == "table" and v or { v }) do
      parts[#parts + 1] = one == true and escape(name) or escape(name) .. "=" .. escape(one)
    end
  end
  return table.concat(parts, "&")
end


-- ngx.req.get_uri_args() of a raw query string
local function parse_query(raw)
  local args = {}
  for pair in (raw or ""):gmatch("[^&]+") do
    local eq = pair:find("=", 1, true)
    local name, value
    if eq then
      name, value = unescape(pair:sub(1, eq - 1)), unescape(pair:sub(eq + 1))
    else
      name, value = unescape(pair), true
    end
    if name ~= "" then
      add_value(args, name, value)
    end
  end
  return args
end


local kong = {
  request = {},
  service = { request = {} },
  client = {},
  response = {},
  log = {},
  ctx = {},
  router = {},
  vault = {},
}


-- the name as nginx's $http_* variables compare it (ngx_http_variables.c
-- ngx_http_variable_unknown_header): lower case, `-` read as `_`
local function var_name(name)
  return (string.lower(name):gsub("-", "_"))
end


-- ngx.req.get_headers(max_headers, raw) (lua-resty-core request.lua and
-- ngx_http_lua_ffi_req_get_headers): headers in the order received, at most
-- `max_headers` (nil: lua_max_req_headers, 100 in Kong; 0: no limit); names
-- as sent with `raw`, else lower case behind a metatable that also finds
-- `x_foo` as `x-foo`; a repeated name gives an array
local MAX_REQ_HEADERS = 100
local req_headers_mt = {
  __index = function(t, key)
    key = string.lower(key)
    local value = rawget(t, key)
    if value == nil and key:find("_", 1, true) then
      value = rawget(t, (key:gsub("_", "-")))
    end
    return value
  end,
}

local function get_headers(max_headers, raw)
  max_headers = max_headers or MAX_REQ_HEADERS
  local out, n, truncated = {}, 0, nil
  for _, key in ipairs(current.order) do
    local value = current.headers[key]
    if value ~= nil then
      local name = raw and current.names[key] or key
      for _, v in ipairs(type(value) == "table" and value or { value }) do
        if max_headers > 0 and n == max_headers then
          truncated = "truncated"
          break
        end
        n = n + 1
        add_value(out, name, v)
      end
    end
  end
  if not raw then
    setmetatable(out, req_headers_mt)
  end
  return out, truncated
end


-- kong/tools/http.lua get_header: ngx.var["http_" .. name] (every header of
-- that name, `_` and `-` alike, joined with ", "); a value with ", " is read
-- again from ngx.req.get_headers()[name]
-- $http_<wanted>: every header whose name reads as `wanted` (var_name),
-- joined with ", " (ngx_http_variable_unknown_header); nil when none
local var_names = setmetatable({}, { __index = function(t, key)
  local v = var_name(key)
  t[key] = v
  return v
end })

local function header_var(wanted)
  local values = {}
  for _, key in ipairs(current.order) do
    local value = current.headers[key]
    if value ~= nil and var_names[key] == wanted then
      for _, v in ipairs(type(value) == "table" and value or { value }) do
        values[#values + 1] = v
      end
    end
  end
  if #values == 0 then
    return nil
  end
  return table.concat(values, ", ")
end

function kong.request.get_header(name)
  if type(name) ~= "string" then
    error("header name must be a string", 2)
  end

  local joined = header_var(var_name(name))
  if joined == nil then
    return nil
  end
  if not joined:find(", ", 1, true) then
    return joined
  end
  local v = get_headers()[name]
  if type(v) == "table" then
    return v[1]
  end
  return v
end


-- as Kong's: every call parses the query again (get_query_arg -> get_query
-- -> ngx.req.get_uri_args, which returns a new table); counted in
-- `query_parses`
function kong.request.get_query()
  current.query_parses = current.query_parses + 1
  local args = {}
  for name, value in pairs(current.query) do
    if type(value) == "table" then
      local copy = {}
      for i, v in ipairs(value) do
        copy[i] = v
      end
      value = copy
    end
    args[name] = value
  end
  return args
end


function kong.request.get_query_arg(name)
  if type(name) ~= "string" then
    error("query argument name must be a string", 2)
  end

  local v = kong.request.get_query()[name]
  if type(v) == "table" then
    return v[1]
  end
  return v
end


function kong.request.get_path_with_query()
  return current.var.request_uri or ""
end


function kong.request.get_scheme()
  return current.var.scheme
end


function kong.request.get_host()
  return current.var.host
end


function kong.request.get_port()
  return tonumber(current.var.server_port, 10)
end


function kong.client.get_forwarded_ip()
  return current.var.remote_addr
end


function kong.router.get_service()
  return current.ctx.service
end


function kong.request.get_path()
  local uri = current.var.request_uri or ""
  return (uri:gsub("%?.*$", ""))
end


function kong.vault.try(callback, options)
  return callback(options)
end


function kong.client.get_consumer()
  return current.ctx.authenticated_consumer
end


function kong.client.get_credential()
  return current.ctx.authenticated_credential
end


function kong.response.exit(status, body, headers)
  if type(status) ~= "number" then
    error("code must be a number", 2)
  elseif status < 100 or status > 599 then
    error("code must be a number between 100 and 599", 2)
  end
  if body ~= nil and type(body) ~= "string" and type(body) ~= "table" then
    error("body must be a nil, string or table", 2)
  end
  if headers ~= nil and type(headers) ~= "table" then
    error("headers must be a nil or table", 2)
  end

  local sent = {}
  for name, value in pairs(headers or {}) do
    sent[string.lower(name)] = check_header(name, value)
  end
  if type(body) == "table" then
    body = assert(cjson.encode(body))
    sent["content-type"] = sent["content-type"] or "application/json; charset=utf-8"
  end
  current.exit = { status = status, body = body, headers = sent }
end


function kong.response.error(status, message, headers)
  if type(status) ~= "number" then
    error("code must be a number", 2)
  elseif status < 400 or status > 599 then
    error("code must be a number between 400 and 599", 2)
  end
  if message ~= nil and type(message) ~= "string" and type(message) ~= "table" then
    error("message must be a nil, a string or a table", 2)
  end
  if headers ~= nil and type(headers) ~= "table" then
    error("headers must be a nil or table", 2)
  end
  local sent = {}
  for name, value in pairs(_M.ngx.header) do
    sent[name] = value
  end
  for name, value in pairs(headers or {}) do
    sent[name] = check_header(name, value)
  end
  current.exit = { status = status, message = message, headers = sent, error = true }
end


function kong.log.set_serialize_value(key, value, options)
  if type(key) ~= "string" then
    error("key must be a string", 2)
  end
  local mode = options and options.mode or "set"
  if mode ~= "set" and mode ~= "add" and mode ~= "replace" then
    error("mode must be 'set', 'add' or 'replace'", 2)
  end
  local list = current.serialize_values
  list[#list + 1] = { key = key, value = value, mode = mode }
end


-- as kong/pdk/request.lua, _REQUEST.get_raw_body: in-memory data first, else
-- the body file (read whole only when a max size is given)
function kong.request.get_raw_body(max_allowed_file_size)
  current.body_reads = current.body_reads + 1
  if not current.body_file then
    return current.body or ""
  end

  if not max_allowed_file_size or max_allowed_file_size < 0 then
    return nil, "request body did not fit into client body buffer, " ..
                "consider raising 'client_body_buffer_size'"
  end

  local file = assert(io.open(current.body_file, "r"))
  local size = file:seek("end") or 0
  if max_allowed_file_size > 0 and size > max_allowed_file_size then
    file:close()
    return nil, string.format("request body file too big: %d > %d", size, max_allowed_file_size)
  end
  file:seek("set")
  local body = file:read("*a")
  file:close()
  current.file_reads_whole = (current.file_reads_whole or 0) + 1
  return body
end


-- kong/pdk/service/request.lua set_raw_query: ngx.req.set_uri_args(query),
-- the string as given ($args, and so $is_args); recorded in `raw_query`
function kong.service.request.set_raw_query(query)
  if type(query) ~= "string" then
    error("query must be a string", 2)
  end
  current.raw_query = query
  current.var.args = query
  current.var.is_args = query ~= "" and "?" or ""
end


function kong.service.request.set_query(args)
  if type(args) ~= "table" then
    error("args must be a table", 2)
  end
  current.service_query = args
end


function kong.service.set_upstream(host)
  if type(host) ~= "string" then
    error("host must be a string", 2)
  end

  if not current.upstreams[host] then
    return nil, "could not find an Upstream named '" .. host .. "'"
  end

  current.upstream = host
  return true
end


-- a header name first seen now goes to the end of the list (ngx_list_push)
local function remember(key, name)
  if current.names[key] == nil then
    current.order[#current.order + 1] = key
  end
  if current.headers[key] == nil then
    current.names[key] = name
  end
end


function kong.service.request.set_header(header, value)
  value = check_header(header, value)
  remember(string.lower(header), header)
  current.service_headers[string.lower(header)] = value
  current.cleared[string.lower(header)] = nil
  current.headers[string.lower(header)] = value
end


function kong.service.request.clear_header(header)
  if type(header) ~= "string" then
    error("header name must be a string", 2)
  end
  current.clears = current.clears + 1
  current.service_headers[string.lower(header)] = nil
  current.cleared[string.lower(header)] = true
  current.headers[string.lower(header)] = nil
end


function kong.service.request.set_raw_body(body)
  if type(body) ~= "string" then
    error("body must be a string", 2)
  end
  current.raw_body = body
  current.service_headers["content-length"] = tostring(#body)
end


for _, level in ipairs(LEVELS) do
  kong.log[level] = function(...)
    return log_line(level, ...)
  end
end


setmetatable(kong.ctx, {
  __index = function(_, k)
    if k == "shared" then
      return current.shared
    end
    -- kong/pdk/ctx.lua: one table per request and plugin (by handler, so
    -- every instance of a plugin shares it); a spec runs one plugin at a time
    if k == "plugin" then
      current.plugin = current.plugin or {}
      return current.plugin
    end
  end,
})


local ngx = {
  ctx = {},
  header = {},
  shared = {},
  null = cjson.null,
  req = {
    -- `header_scans` counts the calls
    get_headers = function(max_headers, raw)
      current.header_scans = current.header_scans + 1
      return get_headers(max_headers, raw)
    end,
    -- ngx.req.get_body_file: the file's name, nil when the body is in memory
    get_body_file = function()
      return current.body_file
    end,
    read_body = function()
    end,
    -- ngx.req.get_body_data([max_bytes]) as ngx_http_lua_req_body.c
    -- (lua-nginx-module 0.10.26): nil for no body, an empty one or one in a
    -- file; else the in-memory body, its first `max_bytes` when given (> 0).
    -- `body_reads` counts the calls, `body_bytes_read` the bytes returned.
    get_body_data = function(max_bytes)
      current.body_reads = current.body_reads + 1
      local body = current.body
      if current.body_file or not body or body == "" then
        return nil
      end
      if max_bytes and max_bytes > 0 and #body > max_bytes then
        body = body:sub(1, max_bytes)
      end
      current.body_bytes_read = current.body_bytes_read + #body
      return body
    end,
  },
  now = function()
    return _M.clock
  end,
}
_M.clock = 1000


local function forget_spill()
  if current and current.own_file then
    os.remove(current.body_file)
  end
end


ngx.escape_uri = escape


-- nginx's log levels (ngx_log.h), by the names kong.log uses
for i, level in ipairs(LEVELS) do
  ngx[string.upper(level)] = 9 - i
end

function ngx.log(level, ...)
  return log_line(LEVELS[9 - level] or "debug", ...)
end
ngx.unescape_uri = unescape


-- what ngx.md5 returns: the hex digest
function ngx.md5(s)
  return md5(tostring(s))
end


-- a stable function (Kong's jwt_parser keeps `ngx.time` in an upvalue)
function ngx.time()
  return current.now
end


setmetatable(ngx, {
  __index = function(_, k)
    if k == "var" then
      return current.var
    end
  end,
})
setmetatable(ngx.ctx, {
  __index = function(_, k) return current.ctx[k] end,
  __newindex = function(_, k, v) current.ctx[k] = v end,
})


--- Starts a new request.
-- @param opts `{ headers = {}, query = {}, body = string|nil, spilled = bool,
--   upstreams = { "name", ... }, uri = "/path?query" (request_uri; `query`
--   defaults to its arguments), upstream_uri = string, consumer = table,
--   credential = table, shared = table, now = number, host_port = number,
--   service = table (ngx.ctx.service), ip = string (remote_addr),
--   body_file = path, header_lines = { { name, value }, ... } }`: `headers`
--   come first (sorted by name), then `header_lines` in their order: `spilled` writes the body to a real temporary file,
--   as nginx does above client_body_buffer_size (removed at the next
--   request); `body_file` names a file the test made
-- @return the request's recorder: `upstream`, `service_headers` (lower-case
--   names), `cleared`, `raw_body` (what set_raw_body got), `logs`, `shared`,
--   `body_reads`, `exit` ({ status, body, headers } of kong.response.exit),
--   `serialize_values`, `headers` (the request's, as changed)
function _M.request(opts)
  opts = opts or {}
  local ups = {}
  for _, name in ipairs(opts.upstreams or {}) do
    ups[name] = true
  end

  forget_spill()
  for name in pairs(ngx.header) do
    ngx.header[name] = nil
  end
  local body_file, own_file = opts.body_file, false
  if opts.spilled and opts.body then
    body_file = os.tmpname()
    local f = assert(io.open(body_file, "wb"))
    f:write(opts.body)
    f:close()
    own_file = true
  end

  current = {
    body_file = body_file,
    own_file = own_file,
    headers = {},
    order = {},
    names = {},
    query = opts.query or {},
    body = opts.body,
    upstreams = ups,
    upstream = nil,
    service_headers = {},
    cleared = {},
    clears = 0,
    header_scans = 0,
    query_parses = 0,
    raw_body = nil,
    logs = {},
    shared = opts.shared or {},
    body_reads = 0,
    body_bytes_read = 0,
    exit = nil,
    serialize_values = {},
    now = opts.now or os.time(),
    ctx = {
      authenticated_consumer = opts.consumer,
      authenticated_credential = opts.credential,
      host_port = opts.host_port,
      service = opts.service,
    },
  }

  local sorted = {}
  for name in pairs(opts.headers or {}) do
    sorted[#sorted + 1] = name
  end
  table.sort(sorted)
  local lines = {}
  for _, name in ipairs(sorted) do
    lines[#lines + 1] = { name, opts.headers[name] }
  end
  for _, line in ipairs(opts.header_lines or {}) do
    lines[#lines + 1] = line
  end
  for _, line in ipairs(lines) do
    local name, value = line[1], line[2]
    local key = string.lower(name)
    remember(key, name)
    local old = current.headers[key]
    if old == nil then
      current.headers[key] = value
    elseif type(old) == "table" then
      old[#old + 1] = value
    else
      current.headers[key] = { old, value }
    end
  end

  local uri = opts.uri or "/"
  local q = uri:find("?", 1, true)
  current.var = {
    request_uri = uri,
    args = q and uri:sub(q + 1) or nil,
    is_args = q and "?" or "",
    scheme = "http",
    host = "gateway.test",
    server_port = "8000",
    remote_addr = opts.ip or "127.0.0.1",
    upstream_uri = opts.upstream_uri,
  }
  -- $http_<name> as nginx reads it from the request's headers now
  setmetatable(current.var, {
    __index = function(_, k)
      if type(k) == "string" and k:sub(1, 5) == "http_" then
        return header_var(k:sub(6))
      end
    end,
  })
  if not opts.query then
    current.query = parse_query(current.var.args)
  elseif not q and next(opts.query) ~= nil then
    current.var.args = encode_query(opts.query)
    current.var.is_args = "?"
  end

  if opts.body and current.headers["content-length"] == nil and not opts.no_content_length then
    remember("content-length", "Content-Length")
    current.headers["content-length"] = tostring(#opts.body)
  end

  return current
end


--- Log lines of the current request at `level` (all levels when nil).
function _M.logs(rec, level)
  local out = {}
  for _, l in ipairs(rec.logs) do
    if not level or l.level == level then
      out[#out + 1] = l.line
    end
  end
  return out
end


-- kong/pdk/log.lua edit_result: applies set_serialize_value's entries, a
-- dotted key walking (and creating) sub-tables
local function edit(root, entries)
  for _, item in ipairs(entries) do
    local node = root
    local parts = {}
    for part in (item.key .. "."):gmatch("([^.]*)%.") do
      parts[#parts + 1] = part
    end
    for i = 1, #parts - 1 do
      local p = parts[i]
      if node[p] == nil then
        if item.mode == "replace" then
          node = nil
          break
        end
        node[p] = {}
      elseif type(node[p]) ~= "table" then
        error("The key '" .. item.key .. "' could not be used as a serialize value")
      end
      node = node[p]
    end
    if node then
      local last = parts[#parts]
      if item.mode == "set" or (item.mode == "add" and node[last] == nil)
         or (item.mode == "replace" and node[last] ~= nil) then
        node[last] = item.value
      end
    end
  end
  return root
end


--- kong.log.serialize() of the request `rec` (the fields that can carry a
-- credential), as Kong 3.9.3 builds it (kong/pdk/log.lua serialize): request
-- headers with authorization / proxy-authorization already redacted, then the
-- set_serialize_value entries applied.
function _M.serialize(rec)
  local var = rec.var
  local headers = {}
  for k, v in pairs(rec.headers) do
    headers[k] = v
  end
  for _, h in ipairs({ "authorization", "proxy-authorization" }) do
    if headers[h] ~= nil then
      headers[h] = "REDACTED"
    end
  end

  local upstream_uri = var.upstream_uri or ""
  if upstream_uri ~= "" and not upstream_uri:find("?", 1, true) then
    if var.request_uri:sub(-1) == "?" then
      upstream_uri = upstream_uri .. "?"
    elseif var.is_args == "?" then
      upstream_uri = upstream_uri .. "?" .. (var.args or "")
    end
  end

  local port = rec.ctx.host_port or tonumber(var.server_port, 10)
  local root = {
    request = {
      uri = var.request_uri,
      url = var.scheme .. "://" .. var.host .. (port and (":" .. port) or "") .. var.request_uri,
      querystring = rec.query,
      headers = headers,
    },
    upstream_uri = upstream_uri,
  }
  return edit(root, rec.serialize_values)
end


--- Installs the fake as the globals `kong` and `ngx` (once) and returns `kong`.
-- the query a plugin set for the backend (kong.service.request.set_raw_query),
-- decoded as ngx.req.get_uri_args would; nil when none was set
function _M.sent_query(rec)
  return rec.raw_query and parse_query(rec.raw_query)
end


function _M.install()
  if rawget(_G, "kong") ~= kong then
    rawset(_G, "kong", kong)
  end
  if rawget(_G, "ngx") ~= ngx then
    rawset(_G, "ngx", ngx)
  end
  _M.request()
  return kong
end


--- language-router's configuration: schema.lua's defaults (what Kong stores
-- for `config: {}`, helpers/plugin_schema.lua), overridden by `over`.
function _M.config(over)
  local conf = plugin_schema.defaults("language-router")
  for k, v in pairs(over or {}) do
    conf[k] = v
  end
  return conf
end


_M.kong = kong
_M.ngx = ngx

return _M
