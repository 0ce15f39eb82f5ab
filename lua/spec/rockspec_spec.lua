-- The rockspec lists exactly the plugin's modules (a new module that is not
-- listed would be missing from the installed plugin).

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]+$") or "spec"
local ROOT = here .. "/.."
local ROCKSPEC = ROOT .. "/kong-plugin-language-router-0.1.0-1.rockspec"
local DIR = "kong/plugins/language-router"


local function load_rockspec()
  local env = {}
  local chunk = assert(loadfile(ROCKSPEC))
  setfenv(chunk, env)
  chunk()
  return env
end


local function lua_files()
  local files = {}
  local p = assert(io.popen("ls '" .. ROOT .. "/" .. DIR .. "'"))
  for name in p:lines() do
    if name:match("%.lua$") then
      files[#files + 1] = name
    end
  end
  p:close()
  table.sort(files)
  return files
end


describe("rockspec", function()
  local spec = load_rockspec()

  it("names the package and version", function()
    assert.equal("kong-plugin-language-router", spec.package)
    assert.equal("0.1.0-1", spec.version)
    assert.equal("builtin", spec.build.type)
  end)

  it("lists every module of the plugin, and only those", function()
    local listed = {}
    for mod, path in pairs(spec.build.modules) do
      assert.equal(DIR .. "/" .. mod:match("[^.]+$") .. ".lua", path)
      assert.truthy(io.open(ROOT .. "/" .. path), path)
      listed[#listed + 1] = path:match("[^/]+$")
    end
    table.sort(listed)
    assert.same(lua_files(), listed)
  end)
end)
