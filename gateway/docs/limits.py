"""The rate-limit table of docs/RATE_LIMITING.md: every rate-limiting instance, where it sits, what it counts."""

from __future__ import annotations

from gateway.plugins.traffic import RateLimitingConfig
from gateway.spec.models import GatewaySpec

_KIND = {"services": "service", "routes": "route", "consumers": "consumer"}


def limits_table(spec: GatewaySpec) -> str:
    lines = ["| scope | limits | counted per | counters | client headers | when exceeded |", "|---" * 6 + "|"]
    for scope, _, entry in spec.plugin_instances():
        config = entry.config
        if not entry.enabled or not isinstance(config, RateLimitingConfig):
            continue
        where = "global" if scope == ("plugins",) else f"{_KIND[str(scope[-3])]} {scope[-2]}"
        counters = {"local": "each node", "cluster": "Kong's database", "redis": "Redis, shared"}[config.policy]
        headers = "hidden" if config.hide_client_headers else "RateLimit-*, X-RateLimit-*"
        lines.append(f"| {where} | {config.windows()} | {config.counted_per()} | {counters} | {headers} | "
                     f"{config.error_code:g} {config.error_message} |")
    return "\n".join(lines) + "\n"
