"""Plugin secrets as Kong vault references: Kong stores ``{vault://env/...}``, the value lives in the node env.

pulumi-kong's Read copies Kong's whole plugin config into the non-secret ``computed_config``
(terraform-provider-kong ``resourceKongPluginRead``), so a value sent in ``config_json`` would end up in
clear in state. Every secret a plugin config names sits in a Kong ``referenceable`` field (rate-limiting's
``redis.username``/``redis.password``, kong/tools/redis/schema.lua; http-log's ``headers`` values), so the
config carries a reference to Kong's bundled ``env`` vault instead, and each Kong node gets the value as a
secret environment variable. Kong resolves the reference when it loads the plugin and returns the
reference, not the value, from the Admin API (kong/db/schema/init.lua ``process_auto_fields``).

Reference syntax and variable naming are kong/pdk/vault.lua ``parse_reference`` (``{vault://<vault>/<resource>}``)
and kong/vaults/env/init.lua ``get`` (the resource, upper-cased, ``-`` -> ``_``). ``vaults = bundled`` is
Kong's default (kong/templates/kong_defaults.lua), so no ``KONG_VAULTS`` setting is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.spec.refs import camel_words

if TYPE_CHECKING:
    from gateway.spec.models import GatewaySpec

RESOURCE_PREFIX = "ai4v-secret-"
"""Keeps our variables apart from Kong's own ``KONG_*`` and the image's environment."""


def _kebab(name: str) -> str:
    return camel_words(name, "-").lower()


def reference(name: str) -> str:
    """``redisPassword`` -> ``{vault://env/ai4v-secret-redis-password}``."""
    return "{vault://env/" + RESOURCE_PREFIX + _kebab(name) + "}"


def env_var(name: str) -> str:
    """The variable Kong's env vault reads for ``reference(name)``: ``AI4V_SECRET_REDIS_PASSWORD``."""
    return (RESOURCE_PREFIX + _kebab(name)).upper().replace("-", "_")


def plugin_secret_names(spec: GatewaySpec) -> set[str]:
    """Secrets named by plugin configs (credentials are not referenceable in Kong OSS and stay values)."""
    return {name for _, _, entry in spec.plugin_instances() for name in entry.config.secret_names()}
