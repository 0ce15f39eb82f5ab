"""Our Lua plugins' ``schema.lua`` as data (lua/spec/helpers/plugin_schema.lua): loaded by LuaJIT with a stub of
the three Kong typedefs they use (runs wherever busted runs), or by Kong's own plugin loader
(``kong.db.schema.plugin_loader.load_subschema``) in a Kong install's ``resty``."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TypedDict

from local_gateway import kong_install

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "lua"
SCRIPT = LUA / "spec" / "helpers" / "plugin_schema.lua"
PLUGINS = tuple(sorted(p.name for p in (LUA / "kong" / "plugins").iterdir() if (p / "schema.lua").is_file()))

Scalar = str | int | float | bool


class SchemaField(TypedDict, total=False):
    """One field of a plugin's ``config`` record, as Kong's schema DSL spells it."""

    name: str
    type: str
    required: bool
    default: Scalar | list[Scalar]
    one_of: list[Scalar]
    between: list[float]
    gt: float
    len_min: int
    referenceable: bool
    """A vault reference may stand for the value (kong/db/schema/init.lua)."""
    validated: bool
    """The field has a ``custom_validator`` (typedefs.header_name, a path or script check)."""
    elements: SchemaField
    values: SchemaField
    """A map's values."""
    fields: list[SchemaField]


def _parse(out: str) -> list[SchemaField]:
    fields: list[SchemaField] = json.loads(out)
    return fields


@functools.cache
def config_fields(plugin: str) -> list[SchemaField]:
    """The config fields of ``plugin``'s schema.lua, in order (LuaJIT, stub typedefs)."""
    luajit = shutil.which("luajit")
    if luajit is None:
        raise RuntimeError("luajit is not installed: `make lua-deps` (docs/LOCAL_GATEWAY.md)")
    done = subprocess.run([luajit, str(SCRIPT), plugin], cwd=LUA, capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "LUA_PATH": "./?.lua;./?/init.lua;./spec/?.lua;;"})
    return _parse(done.stdout)


def kong_config_fields(install: kong_install.KongInstall, plugin: str) -> list[SchemaField]:
    """The config fields of ``plugin`` (ours, or one Kong bundles) as Kong 3.9.3's plugin loader makes them, in
    ``install``'s ``resty``."""
    resty = install.home / "openresty" / "bin" / "resty"
    lua_path = f"{LUA}/?.lua;{LUA}/?/init.lua;{LUA}/spec/?.lua;{install.env.get('LUA_PATH', ';')}"
    env = install.command_env(os.environ, {"LUA_PATH": lua_path})
    done = subprocess.run([str(resty), str(SCRIPT), "--kong", plugin], env=env, cwd=install.lua_dir,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return _parse(done.stdout)


def defaults(plugin: str) -> dict[str, Scalar | list[Scalar]]:
    """The configuration Kong stores for ``config: {}`` (every field's default)."""
    return {f["name"]: f["default"] for f in config_fields(plugin) if "default" in f}
