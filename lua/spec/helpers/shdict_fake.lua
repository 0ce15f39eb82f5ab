-- A fake of an ngx.shared.DICT (lua-resty-core resty/core/shdict.lua), the
-- parts the counters use:
--   dict:incr(key, value, init, init_ttl) -> new value | nil, "not found"
--     (no such key and no init) | nil, "not a number"; init_ttl (seconds)
--     is only set on a key incr creates, and needs init; raises on a
--     non-number value
--   dict:get(key)                         -> value | nil
--   dict:ttl(key)                         -> seconds left (0: none) | nil, "not found"
-- Time is ngx.now() (the PDK fake's clock): an expired key is gone.
-- `fail = "no memory"` makes the next incr fail with that error.

local _M = {}
local Dict = {}
Dict.__index = Dict


function _M.new()
  return setmetatable({ values = {}, expires = {} }, Dict)
end


function Dict:live(key)
  local at = self.expires[key]
  if at and at <= ngx.now() then
    self.values[key], self.expires[key] = nil, nil
  end
  return self.values[key]
end


function Dict:incr(key, value, init, init_ttl)
  if type(value) ~= "number" then
    error("bad value arg: number expected, got " .. type(value), 2)
  end
  if init_ttl ~= nil and init == nil then
    error('must provide "init" when providing "init_ttl"', 2)
  end
  if self.fail then
    local err = self.fail
    self.fail = nil
    return nil, err
  end
  local old = self:live(key)
  if old == nil then
    if init == nil then
      return nil, "not found"
    end
    self.values[key] = init + value
    if init_ttl and init_ttl > 0 then
      self.expires[key] = ngx.now() + init_ttl
    end
    return self.values[key], nil, false
  end
  if type(old) ~= "number" then
    return nil, "not a number"
  end
  self.values[key] = old + value
  return self.values[key], nil, false
end


function Dict:get(key)
  return self:live(key)
end


function Dict:ttl(key)
  if self:live(key) == nil then
    return nil, "not found"
  end
  local at = self.expires[key]
  return at and at - ngx.now() or 0
end


function Dict:flush_all()
  self.values, self.expires = {}, {}
end


return _M
