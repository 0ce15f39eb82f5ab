"""The Docker platform's port scheme: what each Kong node publishes on the Docker host, and the URLs that follow.

Internal ports are Kong's defaults (the status listener uses 8100):

- node ``i`` (1-based) publishes its proxy on ``0.0.0.0`` (it is the gateway): HTTP on
  ``proxyPort + 10*(i-1)``, HTTPS on ``proxyTlsPort + 10*(i-1)``;
- node ``i`` publishes its status listener (``/status``, ``/metrics``) on ``127.0.0.1`` at
  ``statusPort + 10*(i-1)`` (Prometheus counters are per node);
- node 1 alone publishes the Admin API (HTTP, HTTPS) and Kong Manager on ``127.0.0.1``, and only when
  ``publishAdmin`` is true. Nothing administrative is ever published on another address.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.platform.naming import (
    ANY,
    KONG_ADMIN,
    KONG_ADMIN_TLS,
    KONG_MANAGER,
    KONG_PROXY,
    KONG_PROXY_TLS,
    KONG_STATUS,
    LOOPBACK,
)

if TYPE_CHECKING:
    from gateway.platform.docker.settings import DockerSettings
    from gateway.stack.settings import StackSettings

NODE_PORT_STEP = 10


@dataclass(frozen=True)
class PortMapping:
    internal: int
    external: int
    ip: str
    what: str


def node_ports(settings: DockerSettings, index: int) -> list[PortMapping]:
    """What Kong node ``index`` (1-based) publishes on the Docker host."""
    shift = NODE_PORT_STEP * (index - 1)
    ports = [
        PortMapping(KONG_PROXY, settings.proxy_port + shift, ANY, f"proxy http (node {index})"),
        PortMapping(KONG_PROXY_TLS, settings.proxy_tls_port + shift, ANY, f"proxy https (node {index})"),
        PortMapping(KONG_STATUS, settings.status_port + shift, LOOPBACK, f"status (node {index})"),
    ]
    if index == 1 and settings.publish_admin:
        ports += [
            PortMapping(KONG_ADMIN, settings.admin_port, LOOPBACK, "admin http"),
            PortMapping(KONG_ADMIN_TLS, settings.admin_tls_port, LOOPBACK, "admin https"),
            PortMapping(KONG_MANAGER, settings.manager_port, LOOPBACK, "manager"),
        ]
    return ports


def published_ports(settings: DockerSettings) -> Iterator[tuple[str, int]]:
    for index in range(1, settings.kong_nodes + 1):
        for mapping in node_ports(settings, index):
            yield mapping.what, mapping.external


def proxy_urls(settings: DockerSettings, host: str = "localhost") -> list[str]:
    return [f"http://{host}:{settings.proxy_port + NODE_PORT_STEP * i}" for i in range(settings.kong_nodes)]


def proxy_tls_urls(settings: DockerSettings, host: str = "localhost") -> list[str]:
    return [f"https://{host}:{settings.proxy_tls_port + NODE_PORT_STEP * i}" for i in range(settings.kong_nodes)]


def published_admin_url(settings: DockerSettings) -> str | None:
    return f"http://{LOOPBACK}:{settings.admin_port}" if settings.publish_admin else None


def admin_url(settings: StackSettings) -> str | None:
    """Where pulumi-kong writes: ``kongAdminUrl`` if set, else node 1's published Admin API."""
    return settings.kong_admin_url or published_admin_url(settings.docker)


def manager_url(settings: DockerSettings) -> str | None:
    """Kong Manager's address; also Kong's ``admin_gui_url`` (the Admin API's CORS origin)."""
    return f"http://{LOOPBACK}:{settings.manager_port}" if settings.publish_admin else None


def metrics_urls(settings: DockerSettings) -> list[str]:
    return [f"http://{LOOPBACK}:{settings.status_port + NODE_PORT_STEP * i}/metrics"
            for i in range(settings.kong_nodes)]


def admin_unreachable_error(settings: StackSettings, stack: str | None = None) -> str | None:
    """The one-line error when DB mode has no way to reach the Admin API, else None."""
    target = f" -s {stack}" if stack else ""
    if settings.mode == "db" and admin_url(settings) is None:
        return ("ai4v-gateway:publishAdmin is false and ai4v-gateway:kongAdminUrl is not set: pulumi-kong needs "
                "the Admin API in DB mode. Open a tunnel to Kong node 1 (`ssh -N -L 18001:<kong-1 container "
                f"IP>:8001 <docker host>`, docs/DOCKER.md) and `scripts/pulumi.sh config set{target} "
                "ai4v-gateway:kongAdminUrl http://127.0.0.1:18001`.")
    return None
