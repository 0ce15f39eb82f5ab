-- MD5 (RFC 1321) in LuaJIT, hex digest: what ngx.md5 returns inside Kong.
-- Only for the PDK fake: busted runs on plain LuaJIT, without OpenResty.

local bit = require "bit"

local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, rol, tobit = bit.lshift, bit.rshift, bit.rol, bit.tobit
local byte, char, rep, fmt = string.byte, string.char, string.rep, string.format
local floor = math.floor


-- per-round shift amounts and the sine table K[i] = floor(abs(sin(i + 1)) * 2^32)
local S = {
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
}

local K = {}
for i = 0, 63 do
  K[i] = tobit(floor(math.abs(math.sin(i + 1)) * 2 ^ 32))
end


local function le32(n)
  return char(band(n, 0xff), band(rshift(n, 8), 0xff), band(rshift(n, 16), 0xff),
              band(rshift(n, 24), 0xff))
end


local function hex_le(n)
  local b0, b1 = band(n, 0xff), band(rshift(n, 8), 0xff)
  local b2, b3 = band(rshift(n, 16), 0xff), band(rshift(n, 24), 0xff)
  return fmt("%02x%02x%02x%02x", b0, b1, b2, b3)
end


return function(msg)
  local len = #msg
  local bits = len * 8
  msg = msg .. "\128" .. rep("\0", (55 - len) % 64)
        .. le32(tobit(bits % 2 ^ 32)) .. le32(tobit(floor(bits / 2 ^ 32)))

  local a0, b0, c0, d0 = tobit(0x67452301), tobit(0xefcdab89), tobit(0x98badcfe), tobit(0x10325476)
  local M = {}

  for chunk = 1, #msg, 64 do
    for j = 0, 15 do
      local p = chunk + j * 4
      local x1, x2, x3, x4 = byte(msg, p, p + 3)
      M[j] = bor(x1, lshift(x2, 8), lshift(x3, 16), lshift(x4, 24))
    end

    local a, b, c, d = a0, b0, c0, d0
    for i = 0, 63 do
      local f, g
      if i < 16 then
        f, g = bor(band(b, c), band(bnot(b), d)), i
      elseif i < 32 then
        f, g = bor(band(d, b), band(bnot(d), c)), (5 * i + 1) % 16
      elseif i < 48 then
        f, g = bxor(b, c, d), (3 * i + 5) % 16
      else
        f, g = bxor(c, bor(b, bnot(d))), (7 * i) % 16
      end
      local sum = tobit(a + f + K[i] + M[g])
      a, d, c = d, c, b
      b = tobit(b + rol(sum, S[i + 1]))
    end

    a0, b0 = tobit(a0 + a), tobit(b0 + b)
    c0, d0 = tobit(c0 + c), tobit(d0 + d)
  end

  return hex_le(a0) .. hex_le(b0) .. hex_le(c0) .. hex_le(d0)
end
