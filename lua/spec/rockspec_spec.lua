-- Each plugin under kong/plugins/ has one rockspec, kong-plugin-<name>-*.rockspec,
-- listing exactly the plugin's modules (a new module that is not listed would
-- be missing from the installed plugin).

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]+$") or "spec"
local ROOT = here .. "/.."


local function ls(dir, pattern)
  local out = {}
  local p = assert(io.popen("ls '" .. dir .. "'"))
  for name in p:lines() do
    if name:match(pattern) then
      out[#out + 1] = name
    end
  end
  p:close()
  table.sort(out)
  return out
end


-- the .lua files under `dir` (relative to ROOT), at any depth, sorted
local function lua_files(dir)
  local out = {}
  local p = assert(io.popen("cd '" .. ROOT .. "' && find '" .. dir .. "' -name '*.lua' -type f"))
  for path in p:lines() do
    out[#out + 1] = path
  end
  p:close()
  table.sort(out)
  return out
end


local function load_rockspec(file)
  local env = {}
  local chunk = assert(loadfile(ROOT .. "/" .. file))
  setfenv(chunk, env)
  chunk()
  return env
end


local PLUGINS = ls(ROOT .. "/kong/plugins", "^[%w%-]+$")


describe("rockspecs", function()
  it("there is one per plugin, named after it", function()
    local want = {}
    for _, plugin in ipairs(PLUGINS) do
      want[#want + 1] = "kong-plugin-" .. plugin .. "-0.1.0-1.rockspec"
    end
    assert.same(want, ls(ROOT, "%.rockspec$"))
    assert.same({ "identity-guard", "language-router", "rate-limiting-inline" }, PLUGINS)
  end)

  for _, plugin in ipairs(PLUGINS) do
    describe(plugin, function()
      local file = "kong-plugin-" .. plugin .. "-0.1.0-1.rockspec"
      local dir = "kong/plugins/" .. plugin

      it("names the package and version", function()
        local spec = load_rockspec(file)
        assert.equal("kong-plugin-" .. plugin, spec.package)
        assert.equal("0.1.0-1", spec.version)
        assert.equal("builtin", spec.build.type)
      end)

      it("lists every module of the plugin, subdirectories included, and only those", function()
        local spec = load_rockspec(file)
        local listed = {}
        for mod, path in pairs(spec.build.modules) do
          assert.equal(path:gsub("%.lua$", ""):gsub("/", "."), mod)
          assert.truthy(io.open(ROOT .. "/" .. path), path)
          listed[#listed + 1] = path
        end
        table.sort(listed)
        assert.same(lua_files(dir), listed)
      end)
    end)
  end
end)
