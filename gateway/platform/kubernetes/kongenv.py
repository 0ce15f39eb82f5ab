"""Kong's ``KONG_*`` environment on Kubernetes: ``kongconf.kong_env`` (the same settings as a Docker node)
with what the cluster changes: plugin path, prefix directory, an external Postgres."""

from __future__ import annotations

from gateway.platform import kongconf
from gateway.platform.kubernetes import names
from gateway.platform.kubernetes.settings import PostgresTarget
from gateway.settings import StackSettings
from gateway.spec.models import Edge


def node_conf(settings: StackSettings, edge: Edge) -> kongconf.KongNodeConf:
    """Every pod is the same node: Kong Manager off (no published Admin API to point it at)."""
    return kongconf.KongNodeConf(
        mode=settings.mode, index=1, edge=edge, publish_admin=False, manager_url=None, admin_api_url=None,
        trusted_ips=tuple(settings.trusted_ips), real_ip_header=settings.real_ip_header,
        real_ip_recursive=settings.real_ip_recursive,
    )


def postgres_env(target: PostgresTarget) -> dict[str, str]:
    return {"KONG_PG_HOST": target.host, "KONG_PG_PORT": str(target.port), "KONG_PG_USER": target.user,
            "KONG_PG_DATABASE": target.database}


def kong_env(conf: kongconf.KongNodeConf, postgres: PostgresTarget | None) -> dict[str, str]:
    """Non-secret variables of the Kong container (``KONG_PG_PASSWORD`` comes from a Secret)."""
    env = kongconf.kong_env(conf)
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
