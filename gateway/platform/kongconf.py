"""Pure Kong configuration: the ``KONG_*`` environment of a node, body sizes, plugin files, gates.

Every property name is Kong 3.9.3's (``kong.conf.default`` / ``kong/templates/kong_defaults.lua``); a
``KONG_<NAME>`` environment variable sets property ``<name>``. ``nginx_http_*`` properties are injected
into the ``http {}`` block (``kong/templates/nginx_kong.lua``, "injected nginx_http_* directives").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gateway.platform import naming
from gateway.platform.docker import ports

if TYPE_CHECKING:
    from gateway.spec.models import Edge, GatewaySpec
    from gateway.stack.settings import StackSettings

CUSTOM_PLUGINS = ("language-router", "identity-guard", "rate-limiting-inline")
PLUGINS = ",".join(("bundled", *CUSTOM_PLUGINS))
PLUGINS_ROOT = Path(__file__).resolve().parents[2] / "lua" / "kong" / "plugins"
LUA_ROOT = "/usr/local/share/lua/5.1"
"""In the kong image, Kong's own modules live here and it is on LuaJIT's default path, which Kong's
``lua_package_path`` (``./?.lua;./?/init.lua;`` + ``;;``, nginx_kong.lua) keeps."""
REQUIRED_PLUGIN_FILES = ("handler.lua", "schema.lua")

TLS_DIR = "/kong/tls"
TLS_CERT_PATH = f"{TLS_DIR}/proxy.crt"
TLS_KEY_PATH = f"{TLS_DIR}/proxy.key"
DECLARATIVE_PATH = "/kong/declarative/kong.yml"
NGINX_HTTP_CONF = "/kong/nginx/http.conf"
"""Included in nginx's ``http {}`` block (``nginx_http_include``): log format, flood-guard zone."""
NGINX_PROXY_CONF = "/kong/nginx/proxy.conf"
"""Included in the proxy ``server {}`` block (``nginx_proxy_include``): flood guard, HSTS."""
NGINX_ADMIN_CONF = "/kong/nginx/admin.conf"
"""Included in the Admin API's ``server {}`` block (``nginx_admin_include``): who may use it."""

ACCESS_LOG_FORMAT = "ai4v_access"
ACCESS_LOG_FIELDS = {
    "time": "$time_iso8601",
    "client": "$remote_addr",
    "method": "$request_method",
    "path": "$uri",
    "protocol": "$server_protocol",
    "status": "$status",
    "bytes": "$body_bytes_sent",
    "request_time": "$request_time",
    "upstream_time": "$upstream_response_time",
    "user_agent": "$http_user_agent",
    "kong_request_id": "$kong_request_id",
    "correlation_id": "$http_x_correlation_id",
}
"""The access log, one JSON object a line. ``$uri`` is the path without the query string: nginx's
default ``$request`` (and ``$request_uri``, ``$args``, ``$http_referer``) would write ``?apikey=...``."""
FLOOD_ZONE = "ai4v_flood"
FLOOD_STATUS = 429
FLOOD_MESSAGE = "Too many requests from this address"
BODY_BUFFER_BYTES = 1 << 20
"""Bodies above 1 MiB are spilled by nginx to a temporary file (client_body_buffer_size)."""

MIGRATIONS_UP_COMMAND = "kong migrations bootstrap && kong migrations up"
"""Before any node of a new version starts: ``up`` only adds (Kong's UPGRADE.md), so the nodes still running
the old version keep working on the migrated database."""
MIGRATIONS_FINISH_COMMAND = "kong migrations finish"
"""Once the last node runs the new version: ``finish`` runs the pending teardowns, after which nodes of the
old version cannot use the database any more (UPGRADE.md; kong/cmd/utils/migrations.lua ``finish``)."""


class MigrationError(RuntimeError):
    pass


def require_zero_exit(code: int | float | None, container: str = "migrations",
                      command: str = MIGRATIONS_UP_COMMAND, stopped: str = "Kong is not started") -> str:
    """A migration container's exit code as a value to wait on; raises unless it is 0.

    Whatever waits on this value (the Kong nodes on ``up``, the platform's outputs on ``finish``) is
    registered only after ``command`` succeeded; ``stopped`` says what the failure held back.
    """
    if code is None:
        raise MigrationError(f"{container}: no exit code (did the container run attached to completion?); "
                              f"{stopped}")
    if int(code) != 0:
        raise MigrationError(f"{container}: `{command}` exited with {int(code)}; {stopped}. Read "
                              f"`docker logs {container}`, fix, and run `pulumi up` again")
    return "0"


DRAIN_SECONDS = 900
"""How long a stopping node may take to finish what it is serving before it is killed.

On its stop signal (SIGQUIT) nginx stops accepting and its workers exit once their requests are done
(Kong sets no ``worker_shutdown_timeout``): an idle node stops at once, the grace only bounds the wait. It
covers the largest body (``edge.max_body_size`` 50 MiB at 1 MiB/s) plus the slowest shipped service
(pipeline: 60 + 60 + 300 s of connect, write and read timeouts), and stays below terraform-provider-docker's
20-minute delete timeout (resource_docker_container.go, dockerContainerDeleteDefaultTimeout), which the stop
runs inside. A constant, not derived from the spec: every node input change replaces the node
(``replace_on_changes: ["*"]``), so a grace that followed service timeouts would roll every node (an outage
on a one-node stack in DB mode) when a timeout is edited."""


def nginx_size(size: int) -> str:
    """Bytes as an nginx size (``50m``, ``512k``, ``1000``)."""
    if size % (1 << 20) == 0:
        return f"{size >> 20}m"
    if size % (1 << 10) == 0:
        return f"{size >> 10}k"
    return str(size)


def max_body_bytes(spec: GatewaySpec) -> int:
    """The largest request body the gateway accepts (``edge.max_body_size``)."""
    return spec.edge.max_body_size


def plugin_files(directory: Path) -> dict[str, Path]:
    """Every file of one custom plugin, subdirectories included (language-router's ``detect/``), by its
    path under the plugin's directory (``detect/langdata.lua``), sorted; fails if the plugin cannot load."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: the {directory.name} plugin directory is missing")
    files = {p.relative_to(directory).as_posix(): p for p in sorted(directory.rglob("*"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)}
    missing = [name for name in REQUIRED_PLUGIN_FILES if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: missing {', '.join(missing)}; Kong cannot load {directory.name}")
    return files


def custom_plugin_files(root: Path = PLUGINS_ROOT, lua_root: str = LUA_ROOT) -> dict[str, dict[str, Path]]:
    """Each custom plugin's files (see plugin_files), by the path Kong loads them from
    (``kong.plugins.<name>.*`` under ``lua_root``, a directory on Kong's ``lua_package_path``)."""
    return {f"{lua_root}/kong/plugins/{name}": plugin_files(root / name) for name in CUSTOM_PLUGINS}


@dataclass(frozen=True)
class Listen:
    """Where a node listens. In a container (Docker, Kubernetes): every interface of the container at
    Kong's ports, and the platform decides what is published. The local gateway (tests/local_gateway)
    gives each node loopback ports of its own."""

    address: str = naming.ANY
    proxy: int = naming.KONG_PROXY
    proxy_tls: int = naming.KONG_PROXY_TLS
    admin: int = naming.KONG_ADMIN
    admin_tls: int = naming.KONG_ADMIN_TLS
    manager: int = naming.KONG_MANAGER
    status: int = naming.KONG_STATUS
    admin_address: str | None = None
    """Where the Admin API listens when not at ``address`` (Kubernetes: loopback only)."""


@dataclass(frozen=True)
class KongNodeConf:
    mode: Literal["db", "dbless"]
    index: int
    edge: Edge
    publish_admin: bool
    manager_url: str | None
    admin_api_url: str | None
    trusted_ips: tuple[str, ...] = ()
    real_ip_header: str = "X-Forwarded-For"
    real_ip_recursive: bool = True
    listen: Listen = Listen()
    files_root: str = ""
    """Prepended to every file path of the node (certificate, includes, kong.yml): empty in a container,
    the node's directory for a local process."""

    @property
    def body_bytes(self) -> int:
        return self.edge.max_body_size

    def path(self, container_path: str) -> str:
        """Where the file a container has at ``container_path`` is for this node."""
        return f"{self.files_root}{container_path}"


def node_conf(settings: StackSettings, index: int, edge: Edge) -> KongNodeConf:
    return KongNodeConf(
        mode=settings.mode,
        index=index,
        edge=edge,
        publish_admin=settings.docker.publish_admin,
        manager_url=ports.manager_url(settings.docker),
        admin_api_url=ports.published_admin_url(settings.docker),
        trusted_ips=tuple(settings.trusted_ips),
        real_ip_header=settings.real_ip_header,
        real_ip_recursive=settings.real_ip_recursive,
    )


def access_log_format() -> str:
    """The ``log_format`` directive's value (``escape=json``: values are JSON-escaped by nginx)."""
    fields = ",".join(f'"{key}":"{var}"' for key, var in ACCESS_LOG_FIELDS.items())
    return f"{ACCESS_LOG_FORMAT} escape=json '{{{fields}}}'"


def nginx_http_conf(edge: Edge) -> str:
    lines = ["# ai4v-gateway: included in nginx's http {} block (Kong nginx_http_include)",
             f"log_format {access_log_format()};"]
    if edge.flood_guard is not None:
        # $binary_remote_addr is the client after the realip module (Kong's trusted_ips).
        lines.append(f"limit_req_zone $binary_remote_addr zone={FLOOD_ZONE}:10m "
                     f"rate={edge.flood_guard.per_minute}r/m;")
    return "\n".join(lines) + "\n"


def nginx_proxy_conf(edge: Edge) -> str:
    lines = ["# ai4v-gateway: included in Kong's proxy server {} block (Kong nginx_proxy_include)"]
    if edge.flood_guard is not None:
        body = json.dumps({"message": FLOOD_MESSAGE}, separators=(",", ":"))
        lines += [
            # nginx's preaccess phase: before Kong's access phase, plugins and any body read.
            f"limit_req zone={FLOOD_ZONE} burst={edge.flood_guard.burst} nodelay;",
            f"limit_req_status {FLOOD_STATUS};",
            # Rejections are logged at error level with the request line (query string included):
            # info keeps them out of the error log at Kong's default log_level (notice).
            "limit_req_log_level info;",
            f"error_page {FLOOD_STATUS} @{FLOOD_ZONE};",
            f"location @{FLOOD_ZONE} {{ default_type application/json; return {FLOOD_STATUS} '{body}'; }}",
        ]
    if edge.https_only is not None:
        lines.append(f'add_header Strict-Transport-Security "max-age={edge.hsts_max_age}" always;')
    return "\n".join(lines) + "\n"


def nginx_files(conf: KongNodeConf) -> dict[str, str]:
    return {conf.path(NGINX_HTTP_CONF): nginx_http_conf(conf.edge),
            conf.path(NGINX_PROXY_CONF): nginx_proxy_conf(conf.edge)}


def admin_access_conf(allowed: str) -> str:
    """nginx ``allow``/``deny`` for the Admin API's server block: only ``allowed`` (an address or CIDR)
    reaches the Admin API, every other client gets 403. nginx applies the first rule that matches, so the
    order is the point, and it is why this is a file: as two ``KONG_NGINX_ADMIN_ALLOW``/``_DENY`` variables,
    Kong writes the injected directives in ``pairs`` order over its conf table
    (kong/conf_loader/parse.lua ``parse_nginx_directives``), which follows the table's layout, not the
    order they were set in; ``deny all`` written first would refuse everyone."""
    return f"allow {allowed};\ndeny all;\n"


def admin_access_env(conf: KongNodeConf) -> dict[str, str]:
    """Include ``admin_access_conf`` in the Admin API's server block (Kong's ``nginx_admin_*`` injection:
    kong/conf_loader/init.lua ``load`` with constants.lua DYNAMIC_KEY_NAMESPACES, written by
    kong/templates/nginx_kong.lua "injected nginx_admin_* directives")."""
    return {"KONG_NGINX_ADMIN_INCLUDE": conf.path(NGINX_ADMIN_CONF)}


def kong_env(conf: KongNodeConf) -> dict[str, str]:
    """Non-secret ``KONG_*`` variables of one node (the database password is added as a secret)."""
    at = conf.listen
    admin_at = at.admin_address or at.address
    env = {
        "KONG_PLUGINS": PLUGINS,
        # Inside the container: 0.0.0.0 is the container's own interfaces (its private bridge network);
        # what reaches the Docker host is decided by the published ports (ports.node_ports).
        "KONG_PROXY_LISTEN": f"{at.address}:{at.proxy} reuseport backlog=16384, "
                             f"{at.address}:{at.proxy_tls} http2 ssl reuseport backlog=16384",
        "KONG_ADMIN_LISTEN": f"{admin_at}:{at.admin} reuseport backlog=16384, "
                             f"{admin_at}:{at.admin_tls} http2 ssl reuseport backlog=16384",
        "KONG_STATUS_LISTEN": f"{at.address}:{at.status}",
        "KONG_NGINX_HTTP_INCLUDE": conf.path(NGINX_HTTP_CONF),
        "KONG_NGINX_PROXY_INCLUDE": conf.path(NGINX_PROXY_CONF),
        "KONG_PROXY_ACCESS_LOG": f"/dev/stdout {ACCESS_LOG_FORMAT}",
        "KONG_PROXY_ERROR_LOG": "/dev/stderr",
        "KONG_ADMIN_ACCESS_LOG": f"/dev/stdout {ACCESS_LOG_FORMAT}",
        "KONG_ADMIN_ERROR_LOG": "/dev/stderr",
        "KONG_ADMIN_GUI_ACCESS_LOG": "/dev/stdout",
        "KONG_ADMIN_GUI_ERROR_LOG": "/dev/stderr",
        "KONG_STATUS_ACCESS_LOG": "off",
        "KONG_STATUS_ERROR_LOG": "/dev/stderr",
        "KONG_ERROR_DEFAULT_TYPE": "application/json",
        # No Server/Via/X-Kong-* response headers: they advertise the product and its version.
        "KONG_HEADERS": "off",
        "KONG_SSL_CERT": conf.path(TLS_CERT_PATH),
        "KONG_SSL_CERT_KEY": conf.path(TLS_KEY_PATH),
        # Bodies above the buffer go to a temporary file; language-router scans those in chunks,
        # so no worker holds a whole upload in memory.
        "KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE": nginx_size(conf.body_bytes),
        "KONG_NGINX_HTTP_CLIENT_BODY_BUFFER_SIZE": nginx_size(min(conf.body_bytes, BODY_BUFFER_BYTES)),
        "KONG_ANONYMOUS_REPORTS": "off",
    }
    if conf.trusted_ips:
        env["KONG_TRUSTED_IPS"] = ",".join(conf.trusted_ips)
        env["KONG_REAL_IP_HEADER"] = conf.real_ip_header
        env["KONG_REAL_IP_RECURSIVE"] = "on" if conf.real_ip_recursive else "off"
    if conf.publish_admin and conf.index == 1 and conf.manager_url and conf.admin_api_url:
        env["KONG_ADMIN_GUI_LISTEN"] = f"{at.address}:{at.manager}"
        env["KONG_ADMIN_GUI_URL"] = conf.manager_url
        env["KONG_ADMIN_GUI_API_URL"] = conf.admin_api_url
    else:
        env["KONG_ADMIN_GUI_LISTEN"] = "off"
    if conf.mode == "db":
        env.update(postgres_env())
    else:
        env.update({"KONG_DATABASE": "off", "KONG_DECLARATIVE_CONFIG": conf.path(DECLARATIVE_PATH)})
    return env


def postgres_env() -> dict[str, str]:
    """Kong's database settings (the password is added as a secret)."""
    n = naming
    return {
        "KONG_DATABASE": "postgres",
        "KONG_PG_HOST": n.POSTGRES_ALIAS,
        "KONG_PG_PORT": str(n.POSTGRES_PORT),
        "KONG_PG_USER": n.POSTGRES_USER,
        "KONG_PG_DATABASE": n.POSTGRES_DB,
    }


def migration_env() -> dict[str, str]:
    # KONG_PLUGINS stays "bundled": language-router has no migrations and no files in this container.
    return postgres_env()


def env_list(env: dict[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in sorted(env.items())]
