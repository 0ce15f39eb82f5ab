"""Typed ``config`` records of the Kong plugins the gateway uses, exact to Kong 3.9.3's schema.lua.

``PLUGIN_CONFIGS`` maps a Kong plugin name to its model; the spec validates each plugin's ``config``
with it and writes Kong's JSON with ``to_kong``.
"""

from __future__ import annotations

from gateway.spec.plugins.auth import (
    AclConfig,
    BotDetectionConfig,
    IpRestrictionConfig,
    JwtConfig,
    KeyAuthConfig,
)
from gateway.spec.plugins.base import KongModel, PluginConfig
from gateway.spec.plugins.identity import IdentityGuardConfig
from gateway.spec.plugins.language_router import LanguageMapping, LanguageRouterConfig
from gateway.spec.plugins.observability import (
    FileLogConfig,
    HttpLogConfig,
    PrometheusConfig,
    Queue,
)
from gateway.spec.plugins.traffic import (
    ProxyCacheConfig,
    RateLimitingBase,
    RateLimitingConfig,
    RateLimitingInlineConfig,
    RedisConfig,
    RequestSizeLimitingConfig,
    RequestTerminationConfig,
)
from gateway.spec.plugins.transform import (
    CorrelationIdConfig,
    CorsConfig,
    RequestTransformerConfig,
    ResponseTransformerConfig,
)

PLUGIN_CONFIGS: dict[str, type[PluginConfig]] = {
    model.plugin_name: model
    for model in (
        KeyAuthConfig,
        JwtConfig,
        AclConfig,
        IpRestrictionConfig,
        BotDetectionConfig,
        RateLimitingConfig,
        RateLimitingInlineConfig,
        RequestSizeLimitingConfig,
        RequestTerminationConfig,
        ProxyCacheConfig,
        RequestTransformerConfig,
        ResponseTransformerConfig,
        CorrelationIdConfig,
        CorsConfig,
        PrometheusConfig,
        FileLogConfig,
        HttpLogConfig,
        LanguageRouterConfig,
        IdentityGuardConfig,
    )
}
COUNTING_PLUGINS: tuple[str, ...] = tuple(sorted(name for name, model in PLUGIN_CONFIGS.items()
                                                 if model.counts_requests))
"""The plugins that count requests against limits (``PluginConfig.counts_requests``): rate-limiting-inline
(ours) and Kong's rate-limiting."""

__all__ = [
    "COUNTING_PLUGINS",
    "PLUGIN_CONFIGS",
    "AclConfig",
    "BotDetectionConfig",
    "CorrelationIdConfig",
    "CorsConfig",
    "FileLogConfig",
    "HttpLogConfig",
    "IdentityGuardConfig",
    "IpRestrictionConfig",
    "JwtConfig",
    "KeyAuthConfig",
    "KongModel",
    "LanguageMapping",
    "LanguageRouterConfig",
    "PluginConfig",
    "PrometheusConfig",
    "ProxyCacheConfig",
    "Queue",
    "RateLimitingBase",
    "RateLimitingConfig",
    "RateLimitingInlineConfig",
    "RedisConfig",
    "RequestSizeLimitingConfig",
    "RequestTerminationConfig",
    "RequestTransformerConfig",
    "ResponseTransformerConfig",
]
