"""Redis for rate-limiting counters shared by every Kong node (``policy: redis``)."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from gateway.platform import naming
from gateway.platform.children import Children
from gateway.platform.docker.health import REPLACE_ON_ANY_CHANGE
from gateway.platform.files import REDIS_CONFIG_PATH, redis_conf
from gateway.stack.secrets import secret


def create_redis(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                 password: pulumi.Output[str], children: Children) -> docker.Container:
    """The password travels in an uploaded config file and ``REDISCLI_AUTH`` (for the health check),
    never on the command line."""
    hidden = secret(password)
    return docker.Container(
        children.name("redis"),
        name=naming.resource_name(stack, "redis"),
        image=image,
        command=["redis-server", REDIS_CONFIG_PATH],
        envs=[hidden.apply(lambda value: f"REDISCLI_AUTH={value}")],
        uploads=[docker.ContainerUploadArgs(file=REDIS_CONFIG_PATH, content=hidden.apply(redis_conf),
                                            permissions="0644")],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network, aliases=[naming.REDIS_ALIAS])],
        healthcheck=docker.ContainerHealthcheckArgs(
            tests=["CMD-SHELL", "redis-cli ping | grep -q PONG"],
            interval="5s", timeout="3s", retries=12, start_period="5s",
        ),
        wait=True,
        wait_timeout=60,
        restart="unless-stopped",
        opts=children.opts("redis", replace_on_changes=REPLACE_ON_ANY_CHANGE,
                           delete_before_replace=True),
    )
