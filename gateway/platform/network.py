"""The stack's bridge network and the pinned images it runs."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from gateway.platform import naming


def create_network(stack: str, parent: pulumi.Resource) -> docker.Network:
    """One bridge network; containers reach each other by their aliases on it."""
    return docker.Network(
        "network",
        name=naming.resource_name(stack, "net"),
        driver="bridge",
        labels=[docker.NetworkLabelArgs(label="ai4v.stack", value=stack)],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def pull_image(resource_name: str, image: str, parent: pulumi.Resource) -> docker.RemoteImage:
    """A pinned image (``name:tag``), kept locally when the stack is destroyed (other stacks may use it)."""
    return docker.RemoteImage(
        resource_name,
        name=image,
        keep_locally=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
