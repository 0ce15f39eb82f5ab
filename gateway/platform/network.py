"""The stack's bridge network and the pinned images it runs."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from gateway.platform import naming
from gateway.platform.children import Children


def create_network(stack: str, children: Children) -> docker.Network:
    """One bridge network; containers reach each other by their aliases on it."""
    return docker.Network(
        children.name("network"),
        name=naming.resource_name(stack, "net"),
        driver="bridge",
        labels=[docker.NetworkLabelArgs(label="ai4v.stack", value=stack)],
        opts=children.opts("network"),
    )


def pull_image(role: str, image: str, children: Children) -> docker.RemoteImage:
    """A pinned image (``name:tag``), kept locally when the stack is destroyed (other stacks may use it)."""
    return docker.RemoteImage(
        children.name(role),
        name=image,
        keep_locally=True,
        opts=children.opts(role),
    )


def host_side_address(network: docker.Network) -> pulumi.Output[str]:
    """The network's IPv4 gateway: the address from which the Docker host itself reaches a container on it
    (docker-proxy behind a published port, or an SSH tunnel ending on the host). Docker chooses it; the
    provider reads it back from ``docker network inspect`` (terraform-provider-docker
    resource_docker_network_funcs.go, resourceDockerNetworkReadRefreshFunc sets ``ipam_config``)."""
    name = network.name
    return pulumi.Output.all(network.ipam_configs, name).apply(lambda args: _ipv4_gateway(args[0], args[1]))


def _ipv4_gateway(configs: list[dict[str, str]] | None, network: str) -> str:
    """``configs``: the provider's ``NetworkIpamConfig`` values (dict subclasses)."""
    for config in configs or []:
        gateway = config.get("gateway")
        if gateway and ":" not in gateway:
            return gateway
    raise ValueError(f"network {network}: Docker reports no IPv4 gateway, so the Admin API cannot be limited "
                     "to the Docker host; check `docker network inspect " + network + "`")
