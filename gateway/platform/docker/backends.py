"""Demo backends: one HTTP echo container per distinct upstream target host (dev).

The echo image (mendhak/http-https-echo) answers every method and path with JSON reflecting the
method, path, headers, body and ``os.hostname``; ``HTTP_PORT`` sets its port. Its network alias is the
target host, so Kong's upstream targets resolve to it unchanged, and two targets per AI upstream make
load balancing visible in the ``os.hostname`` of the answers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from gateway.platform import naming
from gateway.platform.children import Children
from gateway.spec.fields import split_target
from gateway.spec.models import GatewaySpec

ECHO_DEFAULT_HTTPS_PORT = 8443


def backend_role(host: str) -> str:
    """The role (container name part) of the echo backend answering as target host ``host``."""
    return "echo-" + host.replace(".", "-")


@dataclass(frozen=True)
class Backend:
    host: str
    port: int
    upstreams: tuple[str, ...]

    @property
    def role(self) -> str:
        return backend_role(self.host)

    @property
    def hostname(self) -> str:
        """The container's host name (``os.hostname`` in its answers): the first label of the target host."""
        return self.host.split(".")[0]

    @property
    def env(self) -> dict[str, str]:
        env = {"HTTP_PORT": str(self.port)}
        if self.port == ECHO_DEFAULT_HTTPS_PORT:
            env["HTTPS_PORT"] = str(ECHO_DEFAULT_HTTPS_PORT + 1)
        return env


def demo_backends(spec: GatewaySpec) -> list[Backend]:
    """One backend per distinct target host of every upstream, sorted by host."""
    ports: dict[str, set[int]] = {}
    users: dict[str, list[str]] = {}
    for upstream_name, upstream in spec.upstreams.items():
        for target in upstream.targets:
            host, port = split_target(target.target)
            try:
                ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                pass
            else:
                raise ValueError(f"upstream {upstream_name}: target {target.target} is an IP address; a demo "
                                 "backend needs a host name to use as its network alias")
            ports.setdefault(host, set()).add(port if port is not None else 8000)
            if upstream_name not in users.setdefault(host, []):
                users[host].append(upstream_name)
    backends = []
    for host in sorted(ports):
        if len(ports[host]) > 1:
            raise ValueError(f"demo backend {host}: targets use ports {sorted(ports[host])}; one echo container "
                             "listens on one port")
        backends.append(Backend(host, ports[host].pop(), tuple(users[host])))
    return backends


def create_backends(backends: list[Backend], *, stack: str, image: pulumi.Input[str],
                    network: pulumi.Input[str], children: Children) -> list[docker.Container]:
    containers = []
    for backend in backends:
        containers.append(docker.Container(
            children.name(backend.role),
            name=naming.resource_name(stack, backend.role),
            hostname=backend.hostname,
            image=image,
            envs=[f"{k}={v}" for k, v in sorted(backend.env.items())],
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network, aliases=[backend.host])],
            restart="unless-stopped",
            labels=[docker.ContainerLabelArgs(label="ai4v.role", value="demo-backend"),
                    docker.ContainerLabelArgs(label="ai4v.upstreams", value=",".join(backend.upstreams))],
            opts=children.opts(backend.role, delete_before_replace=True),
        ))
    return containers
