-- JWTs for the identity-guard specs, and the two parsers the handler can get
-- as `kong.plugins.jwt.jwt_parser`:
--   fake_parser        : shaped like Kong 3.9.3's kong/plugins/jwt/jwt_parser.lua
--                        (`:new(token)` -> object with .header / .claims, or
--                        nil, err; `:verify_registered_claims(list)` ->
--                        ok, errors with "must be a number" / "token not valid
--                        yet" / "token expired"; time from ngx.time())
--   kong_parser(root)  : Kong's own file, loaded from a Kong source checkout
--                        with ngx.base64 given in Lua and resty.openssl stubbed
--                        (signatures are the jwt plugin's job, never ours)

local cjson = require "cjson.safe"
local bit = require "bit"

local band, bor, lshift, rshift = bit.band, bit.bor, bit.lshift, bit.rshift
local byte, char, sub, concat = string.byte, string.char, string.sub, table.concat

local _M = {}


local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local INDEX = {}
for i = 1, #ALPHABET do
  INDEX[byte(ALPHABET, i)] = i - 1
end


--- base64url without padding (ngx.base64.encode_base64url)
function _M.b64url(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = bor(lshift(a, 16), lshift(b or 0, 8), c or 0)
    local k = #out
    out[k + 1] = sub(ALPHABET, rshift(n, 18) + 1, rshift(n, 18) + 1)
    out[k + 2] = sub(ALPHABET, band(rshift(n, 12), 63) + 1, band(rshift(n, 12), 63) + 1)
    if b then
      out[k + 3] = sub(ALPHABET, band(rshift(n, 6), 63) + 1, band(rshift(n, 6), 63) + 1)
    end
    if c then
      out[k + 4] = sub(ALPHABET, band(n, 63) + 1, band(n, 63) + 1)
    end
  end
  return concat(out)
end


--- base64url decoding (ngx.base64.decode_base64url): nil, err on bad input;
-- padding is accepted, as after jwt_parser's base64_decode pads the input
function _M.b64url_decode(s)
  if type(s) ~= "string" then
    error("string argument only", 2)
  end
  s = s:gsub("=+$", "")
  if #s % 4 == 1 then
    return nil, "invalid input"
  end
  local out = {}
  local n, bits = 0, 0
  for i = 1, #s do
    local v = INDEX[byte(s, i)]
    if not v then
      return nil, "invalid input"
    end
    n = bor(lshift(n, 6), v)
    bits = bits + 6
    if bits >= 8 then
      bits = bits - 8
      out[#out + 1] = char(band(rshift(n, bits), 255))
      n = band(n, lshift(1, bits) - 1)
    end
  end
  return concat(out)
end


--- A token with these claims (a table, or JSON text: cjson writes at most 14
-- digits of a number); the signature is not a real one.
function _M.token(claims, header)
  header = header or { typ = "JWT", alg = "HS256" }
  if type(claims) ~= "string" then
    claims = assert(cjson.encode(claims))
  end
  return _M.b64url(assert(cjson.encode(header))) .. "." .. _M.b64url(claims) .. "." ..
         _M.b64url("not-a-signature")
end


---------------------------------------------------------------------------
-- the fake parser
---------------------------------------------------------------------------

local ALGS = {
  HS256 = true, HS384 = true, HS512 = true, RS256 = true, RS384 = true, RS512 = true,
  ES256 = true, ES384 = true, ES512 = true, PS256 = true, PS384 = true, PS512 = true,
  EdDSA = true,
}

local RULES = {
  nbf = function(v) if v > ngx.time() then return "token not valid yet" end end,
  exp = function(v) if v <= ngx.time() then return "token expired" end end,
}

local fake = {}
fake.__index = fake


function fake:new(token)
  if type(token) ~= "string" then
    error("Token must be a string, got " .. tostring(token), 2)
  end

  local parts = {}
  for part in (token .. "."):gmatch("([^.]*)%.") do
    parts[#parts + 1] = part
  end

  local header = cjson.decode(_M.b64url_decode(parts[1] or "") or "")
  local claims = cjson.decode(_M.b64url_decode(parts[2] or "") or "")
  local signature = _M.b64url_decode(parts[3] or "")
  if type(header) ~= "table" or claims == nil then
    return nil, "invalid JSON"
  end
  if type(header.alg) ~= "string" or not ALGS[header.alg] then
    return nil, "invalid alg"
  end
  if not signature then
    return nil, "invalid signature"
  end

  return setmetatable({ token = token, header = header, claims = claims,
                        signature = signature }, fake)
end


function fake:verify_registered_claims(list)
  local errors
  for _, name in pairs(list or {}) do
    local value = self.claims[name]
    local err
    if type(value) ~= "number" then
      err = "must be a number"
    else
      err = RULES[name](value)
    end
    if err then
      errors = errors or {}
      errors[name] = err
    end
  end
  return errors == nil, errors
end


_M.fake_parser = fake


---------------------------------------------------------------------------
-- Kong's parser
---------------------------------------------------------------------------

local function refuse(name)
  return setmetatable({}, {
    __index = function(_, k)
      return function()
        error(name .. "." .. tostring(k) .. " is not available in the specs", 2)
      end
    end,
  })
end


--- Kong's kong/plugins/jwt/jwt_parser.lua from the checkout `root`
-- (helpers/kong_source.lua).
function _M.kong_parser(root)
  local dir = assert(root, "no Kong checkout")
  local preload = {
    ["ngx.base64"] = { encode_base64url = _M.b64url, decode_base64url = _M.b64url_decode },
    ["resty.openssl.digest"] = refuse("resty.openssl.digest"),
    ["resty.openssl.mac"] = refuse("resty.openssl.mac"),
    ["resty.openssl.pkey"] = refuse("resty.openssl.pkey"),
  }
  local saved = {}
  for name, mod in pairs(preload) do
    saved[name] = package.loaded[name]
    package.loaded[name] = mod
  end
  local chunk = assert(loadfile(dir .. "/kong/plugins/jwt/jwt_parser.lua"))
  local ok, parser = pcall(chunk, "kong.plugins.jwt.jwt_parser")
  for name in pairs(preload) do
    package.loaded[name] = saved[name]
  end
  assert(ok, parser)
  return parser
end


return _M
