"""What ``make up`` checks against the Docker engine before ``pulumi up``: host ports other stacks hold,
and an Admin API URL that points at the operator's own loopback while Docker runs elsewhere.

Pure functions over settings and what the shell found (``docker ps``, the Docker endpoint), so the
shell stays a thin caller and the rules are tested here.
"""

from __future__ import annotations

from urllib.parse import urlparse

from gateway.platform.docker import ports
from gateway.spec.problems import Problem
from gateway.stack.settings import NAMESPACE, StackSettings, stack_file

PORT_SETTINGS = ("proxyPort", "proxyTlsPort", "adminPort", "adminTlsPort", "managerPort", "statusPort")
SHIFT_STEP = 100
LOCAL_SCHEMES = ("unix", "npipe", "fd")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "")


def port_problems(settings: StackSettings, stack: str, in_use: dict[int, str]) -> list[Problem]:
    """One Problem per host port of this stack that a container of another stack publishes already,
    with the commands that move every base port of this stack out of the way."""
    mine = dict((port, what) for what, port in ports.published_ports(settings.docker))
    taken = sorted(port for port in mine if port in in_use)
    if not taken:
        return []
    shift = free_shift(settings, in_use)
    fix = " && ".join(
        f"scripts/pulumi.sh config set -s {stack} {NAMESPACE}:{key} {getattr(settings.docker, field) + shift}"
        for key, field in zip(PORT_SETTINGS, ("proxy_port", "proxy_tls_port", "admin_port", "admin_tls_port",
                                               "manager_port", "status_port"), strict=True))
    return [Problem(stack_file(stack), ("config",),
                    f"host port {port} ({mine[port]}) is already published by {in_use[port]}; give {stack} "
                    f"its own ports: {fix}")
            for port in taken]


def free_shift(settings: StackSettings, in_use: dict[int, str]) -> int:
    """The smallest multiple of SHIFT_STEP that moves every port of the stack onto free ports."""
    published = [port for _, port in ports.published_ports(settings.docker)]
    shift = SHIFT_STEP
    while any(port + shift in in_use for port in published) and max(published) + shift <= 65535:
        shift += SHIFT_STEP
    return shift


def is_remote(docker_host: str) -> bool:
    """A Docker endpoint that is not this machine (ssh://, tcp:// to another host)."""
    parsed = urlparse(docker_host)
    return parsed.scheme not in LOCAL_SCHEMES and (parsed.hostname or "") not in LOCAL_HOSTS


def remote_admin_problem(settings: StackSettings, stack: str, docker_host: str) -> Problem | None:
    """The default Admin URL is 127.0.0.1 *here*; with Docker on another host it needs a tunnel, named
    explicitly in ``kongAdminUrl`` so that pulumi-kong never writes to a local Kong by mistake."""
    if settings.mode != "db" or settings.kong_admin_url or not is_remote(docker_host):
        return None
    host = urlparse(docker_host).hostname or docker_host
    ssh_target = docker_host.removeprefix("ssh://") if docker_host.startswith("ssh://") else host
    port = settings.docker.admin_port
    return Problem(
        stack_file(stack), ("config", f"{NAMESPACE}:kongAdminUrl"),
        f"Docker runs on {docker_host}, where the Admin API is published on that host's 127.0.0.1:{port}, not "
        f"this machine's: open a tunnel (`ssh -N -L {port + 10000}:127.0.0.1:{port} {ssh_target}`) and "
        f"`scripts/pulumi.sh config set -s {stack} {NAMESPACE}:kongAdminUrl http://127.0.0.1:{port + 10000}`")
