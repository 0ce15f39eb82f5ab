-- language-router's reads of request headers: what kong.request.get_header
-- returns, without its per-call work. Kong 3.9.3's get_header
-- (kong/pdk/request.lua, _REQUEST.get_header -> kong/tools/http.lua
-- get_header) checks the phase (an ngx.ctx read), builds the variable's
-- name (string.lower, gsub, a concatenation), then reads
-- ngx.var["http_" .. name]; a value holding ", " (a header sent more than
-- once: nginx joins them) is read again from ngx.req.get_headers() for its
-- first value. Here the variable's name is built once per header name, and
-- the rare joined value still goes through Kong's get_header.

local kong = kong
local ngx = ngx
local find = string.find
local gsub = string.gsub
local lower = string.lower
local setmetatable = setmetatable


local _M = {}


-- header name -> its nginx variable ("X-Language" -> "http_x_language");
-- the names come from the plugin's configuration and this module's callers
local VARS = setmetatable({}, {
  __index = function(vars, name)
    local var = "http_" .. gsub(lower(name), "-", "_")
    vars[name] = var
    return var
  end,
})


--- Whether the client sent request header `name`, in any spelling: nginx
-- sets $http_x_name when a header's name matches it in lower case with `-`
-- read as `_` (ngx_http_variables.c, ngx_http_variable_unknown_header).
function _M.sent(name)
  return ngx.var[VARS[name]] ~= nil
end


--- The value of request header `name` as kong.request.get_header returns
-- it (the first value of a repeated header), or nil.
function _M.header(name)
  local value = ngx.var[VARS[name]]
  if value ~= nil and find(value, ", ", 1, true) then
    return kong.request.get_header(name)
  end
  return value
end


return _M
