"""The rate-limit table of docs/RATE_LIMITING.md: every instance of a counting plugin (rate-limiting-inline, or
Kong's rate-limiting), where it sits, on how many routes Kong runs it (gateway.kong.scope: another scope's
instance of the same plugin may take its place), what it counts."""

from __future__ import annotations

from gateway.kong.scope import SpecResolver, route_id
from gateway.spec.models import GatewaySpec
from gateway.spec.plugins.traffic import RateLimitingBase
from gateway.spec.problems import Loc

_KIND = {"services": "service", "routes": "route", "consumers": "consumer"}


def limits_table(spec: GatewaySpec) -> str:
    lines = ["| plugin | scope | runs on | limits | counted per | counters | client headers | when exceeded |",
             "|---" * 8 + "|"]
    resolver = SpecResolver(spec)
    for scope, _, entry in spec.plugin_instances():
        config = entry.config
        if not entry.enabled or not isinstance(config, RateLimitingBase):
            continue
        where = "global" if scope == ("plugins",) else f"{_KIND[str(scope[-3])]} {scope[-2]}"
        headers = "hidden" if config.hide_client_headers else "RateLimit-*, X-RateLimit-*"
        lines.append(f"| {config.plugin_name} | {where} | {_runs_on(spec, resolver, scope, config.plugin_name)} "
                     f"| {config.windows()} | {config.counted_per()} "
                     f"| {config.counters()} | {headers} | {config.error_code:g} {config.error_message} |")
    return "\n".join(lines) + "\n"


def _runs_on(spec: GatewaySpec, resolver: SpecResolver, scope: Loc, name: str) -> str:
    """``n of m routes``: of the routes (of enabled services) in its scope, those where Kong picks this
    instance for a request without a consumer-scoped one."""
    if scope[0] == "consumers":
        return f"requests of {scope[1]}"
    reach = [(s, r) for s, r, _ in spec.routes() if spec.services[s].enabled
             and (scope == ("plugins",) or (s == scope[1] and (len(scope) == 3 or r == scope[3])))]
    picked = [found for s, r in reach if (found := resolver.lookup(name, route_id(s, r), s)) and found[0] == scope]
    return f"{len(picked)} of {len(reach)} routes"
