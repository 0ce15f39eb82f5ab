-- luacheck config: `cd lua && luacheck .` (and `luacheck bench` from the repo root)
std = "ngx_lua"
max_line_length = false
unused_args = false
redefined = false

-- `kong` and `ngx` are read-only; only kong.ctx.shared (per-request data
-- shared between plugins), kong.ctx.plugin (a plugin's own per-request data) and ngx.var.args (the query sent upstream: see
-- identity-guard's strip_query) may be written to
read_globals = {
  ngx = {
    read_only = true,
    other_fields = true,
    fields = {
      var = { other_fields = true, read_only = true, fields = { args = { read_only = false } } },
    },
  },
  kong = {
    other_fields = true,
    fields = {
      ctx = {
        other_fields = true,
        fields = {
          shared = { read_only = false, other_fields = true },
          plugin = { read_only = false, other_fields = true },
        },
      },
    },
  },
}

exclude_files = { ".luarocks/**", "lua_modules/**" }

files["spec/**/*.lua"] = {
  std = "+busted",
}
