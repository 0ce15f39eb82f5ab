"""The files both platforms hand to their containers: Kong's declarative ``kong.yml`` (DB-less) and
Redis's ``redis.conf``. Docker uploads them into the containers; Kubernetes mounts them from Secrets."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from gateway.kong import declarative
from gateway.spec.models import GatewaySpec
from gateway.stack.secrets import resolved_text

REDIS_CONFIG_PATH = "/usr/local/etc/redis/redis.conf"


def redis_conf(password: str) -> str:
    """Password required; counters are short-lived, so no persistence."""
    return f'requirepass "{password}"\nsave ""\nappendonly no\n'


def rendered_config(spec: GatewaySpec, stack: str, secrets: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[str]:
    """``kong.yml`` from the spec with the real secret values, as a secret Output."""
    return resolved_text(spec.secret_names(), secrets,
                         lambda resolve: declarative.to_yaml(declarative.render(spec, stack, resolve)))
