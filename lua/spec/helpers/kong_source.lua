-- The Kong 3.9.3 source checkout the specs may use: KONG_SOURCE names the
-- checkout or its kong/ directory.
-- `root` is the checkout (the directory holding kong/), or nil: specs that
-- need Kong's own code are pending without it.

local function has(dir, file)
  local f = io.open(dir .. "/" .. file, "rb")
  if f then
    f:close()
    return true
  end
  return false
end


local function find(source)
  if not source or source == "" then
    return nil
  end
  source = source:gsub("/+$", "")
  for _, dir in ipairs({ source, source .. "/.." }) do
    if has(dir, "kong/db/schema/metaschema.lua") then
      return dir
    end
  end
  return nil
end


return {
  root = find(os.getenv("KONG_SOURCE")),
  find = find,
}
