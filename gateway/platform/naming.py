"""Names shared by both platforms: the project, Docker object names, the platform's secret names, Kong's
container ports and the service aliases (the Docker port scheme is gateway.platform.docker.ports)."""


from __future__ import annotations

PROJECT = "ai4v-gateway"
LOOPBACK = "127.0.0.1"
ANY = "0.0.0.0"

POSTGRES_ALIAS = "postgres"
REDIS_ALIAS = "redis"
"""Spec overlays point rate-limiting at ``redis:6379``."""
POSTGRES_PORT = 5432
REDIS_PORT = 6379
POSTGRES_USER = "kong"
POSTGRES_DB = "kong"

POSTGRES_PASSWORD = "postgresPassword"
REDIS_PASSWORD = "redisPassword"
TLS_PRIVATE_KEY = "tlsPrivateKey"
"""Secret config keys of the platform (``pulumi config set --secret ai4v-gateway:<name>``)."""


def platform_secret_names(mode: str) -> set[str]:
    """Secrets the platform itself needs, beyond those the spec names (generated when unset)."""
    return {POSTGRES_PASSWORD, REDIS_PASSWORD} if mode == "db" else {REDIS_PASSWORD}

# Inside every Kong container (Kong's defaults; status moved from 127.0.0.1:8007 to be publishable).
KONG_PROXY = 8000
KONG_PROXY_TLS = 8443
KONG_ADMIN = 8001
KONG_ADMIN_TLS = 8444
KONG_MANAGER = 8002
KONG_STATUS = 8100


def resource_name(stack: str, role: str) -> str:
    """Docker object name (container, network, volume): unique per stack on one Docker host."""
    return f"{PROJECT}-{stack}-{role}"


def kong_role(index: int) -> str:
    return f"kong-{index}"
