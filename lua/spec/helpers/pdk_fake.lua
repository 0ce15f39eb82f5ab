-- A fake of the parts of Kong 3.9's PDK the language-router plugin uses.
--
-- Signatures and return values follow Kong 3.9.3:
--   kong.request.get_header(name)            -> string|nil (first value)
--   kong.request.get_query_arg(name)         -> string|true|nil (first value)
--   kong.request.get_raw_body([max])         -> body | "" (no body) |
--                                               nil, err (spilled to a file,
--                                               no max); with a max, the file
--                                               read whole (kong/pdk/request.lua)
--   kong.request.get_query()                 -> table of the query arguments
--   kong.service.request.set_query(args)     -> raises unless a table
--   ngx.req.get_body_file()                  -> path of the temporary file
--                                               nginx spilled the body to | nil
--   ngx.now()                                -> seconds (settable: `fake.clock`)
--   kong.service.set_upstream(host)          -> true | nil, err
--   kong.service.request.set_header(h, v)    -> raises on invalid input
--   kong.service.request.clear_header(h)
--   kong.service.request.set_raw_body(body)  -> raises unless a string
--   kong.log.<level>(...)                    -> arguments concatenated
--   kong.ctx.shared                          -> a table per request
--
-- `install()` sets the global `kong` once (the plugin caches it at load time,
-- as in Kong); `request{...}` starts a new request and returns its recorder.

local _M = {}


local LEVELS = { "debug", "info", "notice", "warn", "err", "crit", "alert", "emerg" }

local current


local function lower_keys(t)
  local out = {}
  for k, v in pairs(t or {}) do
    out[string.lower(k)] = v
  end
  return out
end


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


local kong = {
  request = {},
  service = { request = {} },
  log = {},
  ctx = {},
}


function kong.request.get_header(name)
  if type(name) ~= "string" then
    error("header name must be a string", 2)
  end

  local v = current.headers[string.lower(name)]
  if type(v) == "table" then
    return v[1]
  end
  return v
end


function kong.request.get_query_arg(name)
  if type(name) ~= "string" then
    error("query argument name must be a string", 2)
  end

  local v = current.query[name]
  if type(v) == "table" then
    return v[1]
  end
  return v
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


function kong.request.get_query()
  local out = {}
  for k, v in pairs(current.query) do
    out[k] = v
  end
  return out
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


function kong.service.request.set_header(header, value)
  value = check_header(header, value)
  current.service_headers[string.lower(header)] = value
  current.cleared[string.lower(header)] = nil
end


function kong.service.request.clear_header(header)
  if type(header) ~= "string" then
    error("header name must be a string", 2)
  end
  current.service_headers[string.lower(header)] = nil
  current.cleared[string.lower(header)] = true
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
  end,
})


local ngx_fake = {
  req = {
    -- ngx.req.get_body_file: the file's name, nil when the body is in memory
    get_body_file = function()
      return current.body_file
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


--- Starts a new request.
-- @param opts `{ headers = {}, query = {}, body = string|nil, spilled = bool,
--   body_file = path, upstreams = { "name", ... } }`: `spilled` writes the
--   body to a real temporary file, as nginx does above client_body_buffer_size
--   (removed at the next request); `body_file` names a file the test made
-- @return the request's recorder: `upstream`, `service_headers` (lower-case
--   names), `cleared`, `raw_body` (what set_raw_body got), `logs`, `shared`,
--   `body_reads`
function _M.request(opts)
  opts = opts or {}
  local ups = {}
  for _, name in ipairs(opts.upstreams or {}) do
    ups[name] = true
  end

  forget_spill()
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
    headers = lower_keys(opts.headers),
    query = opts.query or {},
    body = opts.body,
    upstreams = ups,
    upstream = nil,
    service_headers = {},
    cleared = {},
    raw_body = nil,
    logs = {},
    shared = {},
    body_reads = 0,
  }

  if opts.body and current.headers["content-length"] == nil and not opts.no_content_length then
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


--- Installs the fake as the globals `kong` and `ngx` (once) and returns it.
function _M.install()
  if rawget(_G, "kong") ~= kong then
    rawset(_G, "kong", kong)
  end
  if rawget(_G, "ngx") == nil then
    rawset(_G, "ngx", ngx_fake)
  end
  _M.request()
  return kong
end


--- A plugin configuration with the contract's defaults, overridden by `over`.
function _M.config(over)
  local conf = {
    sources = { "header", "query", "body", "detect" },
    header_names = { "X-Language", "X-Source-Language" },
    query_names = { "lang", "sourceLanguage" },
    body_language_path = "config.language.sourceLanguage",
    detect_fields = { "input[*].source" },
    min_confidence = 0.5,
    max_body_bytes = 52428800,
    preset = "none",
    mappings = {},
    fallback_upstream = nil,
    fallback_service_id = nil,
    service_id_path = "config.serviceId",
    set_service_id = true,
    override_service_id = false,
    write_source_language = true,
    service_id_delivery = "query",
    service_id_header = "X-Service-Id",
    health_fallback = true,
    health_cache_seconds = 5,
    emit_headers = true,
  }
  for k, v in pairs(over or {}) do
    conf[k] = v
  end
  return conf
end


_M.kong = kong

return _M
