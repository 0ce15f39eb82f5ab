"""Which Kong runs the local gateway, and the environment its commands need.

Two kinds of install are known:
- a build from Kong's public sources (``../shared/kong-live/build.sh`` of the AI4V workspace): ``KONG_HOME``
  is its ``install`` folder (``bin/kong``, ``openresty/``, ``kong/``), by default
  ``$KONG_LIVE_HOME/install`` or ``~/.cache/kong-live/install``. Its Lua paths are set as that build's
  ``env.sh`` sets them;
- Kong's own packages (``kong-3.9.3`` .deb/.rpm): ``kong`` in ``/usr/local/bin`` with OpenResty in
  ``/usr/local/openresty``, which need no environment. ``KONG_HOME=/usr/local`` selects it, and it is
  used when nothing else is found.
"""

from __future__ import annotations

import os
import re
import subprocess
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

KONG_VERSION = "3.9.3"
ENV_HOME = "KONG_HOME"
HOW_TO_GET = ("install Kong 3.9.3 (Kong's own kong-3.9.3 package, or a build from Kong's public sources in about "
              "2 minutes) and set KONG_HOME: docs/LOCAL_GATEWAY.md, 'Getting a Kong'")


def default_build() -> Path:
    """Where ``../shared/kong-live/build.sh`` installs by default."""
    home = os.environ.get("KONG_LIVE_HOME") or str(Path.home() / ".cache" / "kong-live")
    return Path(home) / "install"


@dataclass(frozen=True)
class KongInstall:
    home: Path
    kong: Path
    nginx: Path
    env: dict[str, str]
    """What every Kong command of this install needs on top of the caller's environment."""
    lua_dir: Path | None
    """Kong's Lua tree: the current directory of its processes (Kong finds ``kong/include`` from it)."""

    def command_env(self, base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in base.items() if not k.startswith("KONG_")}  # only what we decide
        env.update(self.env)
        env.update(extra)
        return env

    def lua_package_path(self, first: Path | str) -> str:
        """``KONG_LUA_PACKAGE_PATH`` with the modules under ``first`` (our plugins) before the install's."""
        return f"{first}/?.lua;{first}/?/init.lua;{self.env.get('KONG_LUA_PACKAGE_PATH', ';')}"

    def config_parse(self, path: Path, lua_root: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
        """``kong config parse``: Kong's own check of a declarative file, with our plugins on its path."""
        from gateway.platform import kongconf

        env = {"KONG_DATABASE": "off", "KONG_PLUGINS": kongconf.PLUGINS, "KONG_PREFIX": str(prefix),
               "KONG_LUA_PACKAGE_PATH": self.lua_package_path(lua_root)}
        return subprocess.run([str(self.kong), "config", "parse", str(path)], env=self.command_env(os.environ, env),
                              cwd=self.lua_dir, capture_output=True, text=True, timeout=120, check=False)

    def version(self) -> str:
        done = subprocess.run([str(self.kong), "version"], env=self.command_env(os.environ, {}),
                              capture_output=True, text=True, timeout=60, check=False,
                              cwd=self.lua_dir)
        return done.stdout.strip()


def _source_build(home: Path) -> KongInstall | None:
    """The layout build.sh installs (and env.sh describes)."""
    kong, nginx = home / "bin" / "kong", home / "openresty" / "nginx" / "sbin" / "nginx"
    site, lualib, share = home / "openresty" / "site" / "lualib", home / "openresty" / "lualib", \
        home / "kong" / "share" / "lua" / "5.1"
    if not (kong.is_file() and nginx.is_file() and (share / "kong" / "init.lua").is_file()):
        return None
    deb_lua = Path("/usr/share/lua/5.1")
    deb_luac = Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu") / "lua" / "5.1"
    lua_path = ";".join([f"{site}/?.lua", f"{site}/?/init.lua", f"{lualib}/?.lua", f"{lualib}/?/init.lua",
                         f"{share}/?.lua", f"{share}/?/init.lua", f"{deb_lua}/?.lua", f"{deb_lua}/?/init.lua", ";"])
    lua_cpath = ";".join([f"{site}/?.so", f"{lualib}/?.so", f"{home}/kong/lib/lua/5.1/?.so", f"{home}/kong/lib/?.so",
                          f"{deb_luac}/?.so", ";"])
    path = ":".join([str(home / "bin"), str(home / "openresty" / "bin"), str(nginx.parent),
                     str(home / "openresty" / "luajit" / "bin"), os.environ.get("PATH", "/usr/bin:/bin")])
    libs = ":".join(str(p) for p in (home / "openresty" / "luajit" / "lib", home / "kong" / "lib", lualib))
    env = {"PATH": path, "LUA_PATH": lua_path, "LUA_CPATH": lua_cpath, "KONG_LUA_PACKAGE_PATH": lua_path,
           "KONG_LUA_PACKAGE_CPATH": lua_cpath, "LD_LIBRARY_PATH": libs}
    return KongInstall(home, kong, nginx, env, share)


def _package(home: Path) -> KongInstall | None:
    kong, nginx = home / "bin" / "kong", home / "openresty" / "nginx" / "sbin" / "nginx"
    if not (kong.is_file() and nginx.is_file()):
        return None
    return KongInstall(home, kong, nginx, {}, None)


def find(environ: Mapping[str, str] = os.environ) -> KongInstall | str:
    """The Kong to run, or one line saying why there is none and how to get one."""
    explicit = environ.get(ENV_HOME)
    if explicit:
        home = Path(explicit)
        found = _source_build(home) or _package(home)
        if found is None:
            return (f"{ENV_HOME}={explicit} holds no Kong (no bin/kong with openresty/nginx/sbin/nginx); "
                    + HOW_TO_GET)
        return found
    found = _source_build(default_build()) or _package(Path("/usr/local"))
    return found or f"no Kong found ({ENV_HOME} is not set, no build in {default_build()}): {HOW_TO_GET}"


def check_version(install: KongInstall) -> str | None:
    """None for Kong 3.9.3; else what is wrong."""
    text = install.version()
    match = re.search(r"(\d+\.\d+\.\d+)", text)
    if match is None:
        return f"{install.kong} version printed no version ({text[:80]!r})"
    if match.group(1) != KONG_VERSION:
        return f"{install.kong} is Kong {match.group(1)}; the gateway is built for {KONG_VERSION}"
    return None


def usable(environ: Mapping[str, str] = os.environ) -> KongInstall | str:
    """The Kong to run if it is 3.9.3; else one line saying why not."""
    found = find(environ)
    if isinstance(found, str):
        return found
    return check_version(found) or found


SKIPPED = 3
"""``python -m local_gateway.kong_install``'s exit code when there is no Kong (``make test`` goes on)."""


def main() -> int:
    """Which Kong the live run uses (exit 0), or one line saying there is none and how to get one."""
    found = find()
    if isinstance(found, str):
        print(f"live: skipped: {found}")
        return SKIPPED
    wrong = check_version(found)
    if wrong:
        print(f"live: {wrong}")
        return 1
    print(f"live: Kong {KONG_VERSION} from {found.home}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
