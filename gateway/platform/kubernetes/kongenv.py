"""Kong's ``KONG_*`` environment on Kubernetes: ``kongconf.kong_env`` (the same settings as a Docker node)
with what the cluster changes: plugin path, prefix directory, an external Postgres."""

from __future__ import annotations

import math
import re

from gateway.platform import kongconf, naming
from gateway.platform.kubernetes import names
from gateway.platform.kubernetes.settings import PostgresTarget
from gateway.spec.models import Edge
from gateway.stack.settings import StackSettings


def node_conf(settings: StackSettings, edge: Edge) -> kongconf.KongNodeConf:
    """Every pod is the same node: Kong Manager off (no published Admin API to point it at).

    The Admin API listens on the pod's loopback only, as Kong/charts does when ``admin.enabled`` is false
    (``kong.env`` in _helpers.tpl: addresses 127.0.0.1): no other pod can reach it, whether or not the
    cluster enforces NetworkPolicies. ``kubectl port-forward`` still reaches it: the runtime dials
    ``localhost:<port>`` inside the pod's network namespace (containerd pkg/cri/server
    sandbox_portforward_linux.go ``portForward``)."""
    return kongconf.KongNodeConf(
        mode=settings.mode, index=1, edge=edge, publish_admin=False, manager_url=None, admin_api_url=None,
        trusted_ips=tuple(settings.trusted_ips), real_ip_header=settings.real_ip_header,
        real_ip_recursive=settings.real_ip_recursive, listen=kongconf.Listen(admin_address=naming.LOOPBACK),
    )


def postgres_env(target: PostgresTarget) -> dict[str, str]:
    return {"KONG_PG_HOST": target.host, "KONG_PG_PORT": str(target.port), "KONG_PG_USER": target.user,
            "KONG_PG_DATABASE": target.database}


def cpu_cores(quantity: str) -> float:
    """A CPU quantity in cores (``500m`` -> 0.5, ``2`` -> 2.0)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(m?)", quantity)
    if match is None:
        raise ValueError(f"'{quantity}' is not a CPU quantity (e.g. 500m, 2)")
    return float(match.group(1)) / (1000 if match.group(2) else 1)


def worker_processes(cpu_limit: str) -> int:
    """nginx's ``worker_processes auto`` counts the node's CPUs, not the container's limit: on a 64-core
    node a 2-CPU pod would start 64 workers (each a LuaJIT VM with its own caches) and be throttled and
    OOM-killed. One worker per CPU of the limit, at least one."""
    return max(1, math.ceil(cpu_cores(cpu_limit)))


def body_temp_env(max_body_size: int) -> dict[str, str]:
    """Kong 3.9.3's nginx_kong.lua sets no temp path, so nginx uses its compiled-in ones relative to the
    prefix (``client_body_temp``, ``proxy_temp`` under ``KONG_PREFIX``). ``KONG_NGINX_HTTP_*`` injects
    these into the ``http {}`` block ("injected nginx_http_* directives"), which every server inherits.
    A buffered response spills at most one body's size; the rest is passed on synchronously."""
    return {
        "KONG_NGINX_HTTP_CLIENT_BODY_TEMP_PATH": f"{names.BODY_TEMP_DIR}/client_body",
        "KONG_NGINX_HTTP_PROXY_TEMP_PATH": f"{names.BODY_TEMP_DIR}/proxy",
        "KONG_NGINX_HTTP_PROXY_MAX_TEMP_FILE_SIZE": kongconf.nginx_size(max_body_size),
    }


def kong_env(conf: kongconf.KongNodeConf, postgres: PostgresTarget | None, cpu_limit: str) -> dict[str, str]:
    """Non-secret variables of the Kong container (``KONG_PG_PASSWORD`` comes from a Secret)."""
    env = kongconf.kong_env(conf)
    env.update(body_temp_env(conf.body_bytes))
    env["KONG_NGINX_WORKER_PROCESSES"] = str(worker_processes(cpu_limit))
    env["KONG_LUA_PACKAGE_PATH"] = names.LUA_PACKAGE_PATH
    env["KONG_PREFIX"] = names.PREFIX_DIR
    if postgres is not None:
        env.update(postgres_env(postgres))
    return env


def migration_env(postgres: PostgresTarget) -> dict[str, str]:
    env = kongconf.migration_env()
    env["KONG_PREFIX"] = names.PREFIX_DIR
    env.update(postgres_env(postgres))
    return env
