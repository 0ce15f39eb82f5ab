"""Pure Kong configuration: the ``KONG_*`` environment of a node, body sizes, plugin files, gates.

Every property name is Kong 3.9.3's (``kong.conf.default`` / ``kong/templates/kong_defaults.lua``); a
``KONG_<NAME>`` environment variable sets property ``<name>``. ``nginx_http_*`` properties are injected
into the ``http {}`` block (``kong/templates/nginx_kong.lua``, "injected nginx_http_* directives").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gateway.platform import naming

if TYPE_CHECKING:
    from gateway.settings import StackSettings
    from gateway.spec.models import GatewaySpec

PLUGIN_NAME = "language-router"
PLUGINS = f"bundled,{PLUGIN_NAME}"
PLUGIN_DIR = Path(__file__).resolve().parents[2] / "lua" / "kong" / "plugins" / PLUGIN_NAME
LUA_ROOT = "/usr/local/share/lua/5.1"
"""In the kong image, Kong's own modules live here and it is on LuaJIT's default path, which Kong's
``lua_package_path`` (``./?.lua;./?/init.lua;`` + ``;;``, nginx_kong.lua) keeps."""
PLUGIN_TARGET = f"{LUA_ROOT}/kong/plugins/{PLUGIN_NAME}"
REQUIRED_PLUGIN_FILES = ("handler.lua", "schema.lua")

TLS_DIR = "/kong/tls"
TLS_CERT_PATH = f"{TLS_DIR}/proxy.crt"
TLS_KEY_PATH = f"{TLS_DIR}/proxy.key"
DECLARATIVE_PATH = "/kong/declarative/kong.yml"

SIZE_UNITS = {"megabytes": 1 << 20, "kilobytes": 1 << 10, "bytes": 1}
"""request-size-limiting's units (kong/plugins/request-size-limiting/handler.lua)."""
DEFAULT_BODY_BYTES = 10 << 20
"""Without request-size-limiting: allow bodies up to 10 MiB."""
BODY_BUFFER_BYTES = 1 << 20
"""Bodies above 1 MiB are spilled by nginx to a temporary file (client_body_buffer_size)."""

MIGRATIONS_COMMAND = "kong migrations bootstrap && kong migrations up && kong migrations finish"


class MigrationError(RuntimeError):
    pass


def require_zero_exit(code: int | float | None, container: str = "migrations") -> str:
    """The migration container's exit code as a label value; raises unless it is 0.

    Kong's container takes this value as an input, so it is created only after migrations succeeded.
    """
    if code is None:
        raise MigrationError(f"{container}: no exit code (did the container run attached to completion?); "
                              "Kong is not started")
    if int(code) != 0:
        raise MigrationError(f"{container}: `{MIGRATIONS_COMMAND}` exited with {int(code)}; Kong is not "
                              f"started. Read `docker logs {container}`, fix, and run `pulumi up` again")
    return "0"


def nginx_size(size: int) -> str:
    """Bytes as an nginx size (``50m``, ``512k``, ``1000``)."""
    if size % (1 << 20) == 0:
        return f"{size >> 20}m"
    if size % (1 << 10) == 0:
        return f"{size >> 10}k"
    return str(size)


def max_body_bytes(spec: GatewaySpec) -> int:
    """The largest body any enabled request-size-limiting instance allows (else the default)."""
    sizes = [
        int(entry.config.allowed_payload_size) * SIZE_UNITS[entry.config.size_unit]
        for _, name, entry in spec.plugin_instances()
        if name == "request-size-limiting" and entry.enabled
    ]
    return max(sizes, default=DEFAULT_BODY_BYTES)


def plugin_files(directory: Path = PLUGIN_DIR) -> list[Path]:
    """Every file of the language-router plugin, sorted; fails if the plugin cannot load."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: the {PLUGIN_NAME} plugin directory is missing")
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    missing = [name for name in REQUIRED_PLUGIN_FILES if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: missing {', '.join(missing)}; Kong cannot load {PLUGIN_NAME}")
    return files


@dataclass(frozen=True)
class KongNodeConf:
    mode: Literal["db", "dbless"]
    index: int
    body_bytes: int
    publish_admin: bool
    manager_url: str | None
    admin_api_url: str | None


def node_conf(settings: StackSettings, index: int, body_bytes: int) -> KongNodeConf:
    return KongNodeConf(
        mode=settings.mode,
        index=index,
        body_bytes=body_bytes,
        publish_admin=settings.publish_admin,
        manager_url=naming.manager_url(settings),
        admin_api_url=naming.published_admin_url(settings),
    )


def kong_env(conf: KongNodeConf) -> dict[str, str]:
    """Non-secret ``KONG_*`` variables of one node (the database password is added as a secret)."""
    n = naming
    env = {
        "KONG_PLUGINS": PLUGINS,
        # Inside the container: 0.0.0.0 is the container's own interfaces (its private bridge network);
        # what reaches the Docker host is decided by the published ports (naming.node_ports).
        "KONG_PROXY_LISTEN": f"{n.ANY}:{n.KONG_PROXY} reuseport backlog=16384, "
                             f"{n.ANY}:{n.KONG_PROXY_TLS} http2 ssl reuseport backlog=16384",
        "KONG_ADMIN_LISTEN": f"{n.ANY}:{n.KONG_ADMIN} reuseport backlog=16384, "
                             f"{n.ANY}:{n.KONG_ADMIN_TLS} http2 ssl reuseport backlog=16384",
        "KONG_STATUS_LISTEN": f"{n.ANY}:{n.KONG_STATUS}",
        "KONG_PROXY_ACCESS_LOG": "/dev/stdout",
        "KONG_PROXY_ERROR_LOG": "/dev/stderr",
        "KONG_ADMIN_ACCESS_LOG": "/dev/stdout",
        "KONG_ADMIN_ERROR_LOG": "/dev/stderr",
        "KONG_ADMIN_GUI_ACCESS_LOG": "/dev/stdout",
        "KONG_ADMIN_GUI_ERROR_LOG": "/dev/stderr",
        "KONG_STATUS_ACCESS_LOG": "off",
        "KONG_STATUS_ERROR_LOG": "/dev/stderr",
        "KONG_ERROR_DEFAULT_TYPE": "application/json",
        "KONG_SSL_CERT": TLS_CERT_PATH,
        "KONG_SSL_CERT_KEY": TLS_KEY_PATH,
        # Bodies above the buffer go to a temporary file; language-router scans those in chunks,
        # so no worker holds a whole upload in memory.
        "KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE": nginx_size(conf.body_bytes),
        "KONG_NGINX_HTTP_CLIENT_BODY_BUFFER_SIZE": nginx_size(min(conf.body_bytes, BODY_BUFFER_BYTES)),
        "KONG_ANONYMOUS_REPORTS": "off",
    }
    if conf.publish_admin and conf.index == 1 and conf.manager_url and conf.admin_api_url:
        env["KONG_ADMIN_GUI_LISTEN"] = f"{n.ANY}:{n.KONG_MANAGER}"
        env["KONG_ADMIN_GUI_URL"] = conf.manager_url
        env["KONG_ADMIN_GUI_API_URL"] = conf.admin_api_url
    else:
        env["KONG_ADMIN_GUI_LISTEN"] = "off"
    if conf.mode == "db":
        env.update({
            "KONG_DATABASE": "postgres",
            "KONG_PG_HOST": n.POSTGRES_ALIAS,
            "KONG_PG_PORT": str(n.POSTGRES_PORT),
            "KONG_PG_USER": n.POSTGRES_USER,
            "KONG_PG_DATABASE": n.POSTGRES_DB,
        })
    else:
        env.update({"KONG_DATABASE": "off", "KONG_DECLARATIVE_CONFIG": DECLARATIVE_PATH})
    return env


def migration_env() -> dict[str, str]:
    n = naming
    return {
        "KONG_DATABASE": "postgres",
        "KONG_PG_HOST": n.POSTGRES_ALIAS,
        "KONG_PG_PORT": str(n.POSTGRES_PORT),
        "KONG_PG_USER": n.POSTGRES_USER,
        "KONG_PG_DATABASE": n.POSTGRES_DB,
        # KONG_PLUGINS stays "bundled": language-router has no migrations and no files in this container.
    }


def env_list(env: dict[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in sorted(env.items())]
