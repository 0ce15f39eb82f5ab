"""Checks that span entities: references, uniqueness, route overlap and what plugins need in scope.

Each returns ``(loc, message)`` pairs; the loader turns them into Problems naming the file to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.spec.models import GatewaySpec, PluginEntry, Route
from gateway.spec.problems import Loc, format_loc

Finding = tuple[Loc, str]
AUTH_PLUGINS = ("key-auth", "jwt")


def cross_check(spec: GatewaySpec, mode: str) -> list[Finding]:
    return [
        *_unique_names(spec),
        *_references(spec),
        *_route_overlap(spec),
        *_identity_in_scope(spec),
        *_dbless_limits(spec, mode),
    ]


def _unique_names(spec: GatewaySpec) -> Iterator[Finding]:
    """Kong names routes, credentials and instance names globally, not per parent."""
    seen: dict[tuple[str, str], Loc] = {}

    def claim(kind: str, value: str, loc: Loc) -> Iterator[Finding]:
        first = seen.setdefault((kind, value), loc)
        if first != loc:
            yield loc, f"{kind} '{value}' is already used at {format_loc(first)}; {kind}s must be unique"

    for service_name, route_name, _ in spec.routes():
        yield from claim("route name", route_name, ("services", service_name, "routes", route_name))
    for name, consumer in spec.consumers.items():
        if consumer.custom_id:
            yield from claim("custom_id", consumer.custom_id, ("consumers", name, "custom_id"))
        for cred_name, cred in consumer.keyauth_credentials.items():
            yield from claim("key-auth secret", cred.key.secret, ("consumers", name, "keyauth_credentials", cred_name, "key"))
        for cred_name, jwt in consumer.jwt_secrets.items():
            yield from claim("jwt key", jwt.key, ("consumers", name, "jwt_secrets", cred_name, "key"))
    for scope, plugin, entry in spec.plugin_instances():
        if entry.instance_name:
            yield from claim("instance_name", entry.instance_name, (*scope, plugin, "instance_name"))


def _references(spec: GatewaySpec) -> Iterator[Finding]:
    for name, service in spec.services.items():
        if service.upstream is not None and service.upstream not in spec.upstreams:
            yield ("services", name, "upstream"), _missing("upstream", service.upstream, spec.upstreams)
    groups = {group for consumer in spec.consumers.values() for group in consumer.acl_groups}
    for scope, plugin, entry in spec.plugin_instances():
        config = entry.config
        if plugin in AUTH_PLUGINS and getattr(config, "anonymous", None):
            if config.anonymous not in spec.consumers:
                yield (*scope, plugin, "config", "anonymous"), _missing("consumer", config.anonymous, spec.consumers)
        if plugin == "acl":
            for field in ("allow", "deny"):
                for index, group in enumerate(getattr(config, field) or []):
                    if group not in groups:
                        yield (*scope, plugin, "config", field, index), (
                            f"no consumer is in ACL group '{group}'; groups in use: {', '.join(sorted(groups)) or 'none'}"
                        )
        if plugin == "language-router":
            for where, upstream in _router_upstreams(config):
                if upstream not in spec.upstreams:
                    yield (*scope, plugin, "config", *where), _missing("upstream", upstream, spec.upstreams)


def _router_upstreams(config: Any) -> Iterator[tuple[Loc, str]]:
    if config.fallback_upstream:
        yield ("fallback_upstream",), config.fallback_upstream
    for index, mapping in enumerate(config.mappings):
        if mapping.upstream:
            yield ("mappings", index, "upstream"), mapping.upstream


def _route_overlap(spec: GatewaySpec) -> Iterator[Finding]:
    """Two routes Kong cannot tell apart: the second would never be chosen deterministically."""
    by_key: dict[Any, Loc] = {}
    for service_name, route_name, route in spec.routes():
        loc = ("services", service_name, "routes", route_name)
        key = _match_key(route)
        if key in by_key:
            yield loc, f"matches exactly the same requests as {format_loc(by_key[key])}"
        else:
            by_key[key] = loc


def _match_key(route: Route) -> Any:
    headers = frozenset((k.lower(), frozenset(v)) for k, v in (route.headers or {}).items())
    return (
        frozenset(route.protocols),
        frozenset(route.methods or ()),
        frozenset(h.lower() for h in route.hosts or ()),
        frozenset(route.paths or ()),
        headers,
        frozenset(route.snis or ()),
    )


def effective_plugins(spec: GatewaySpec, service_name: str, route_name: str) -> dict[str, PluginEntry[Any]]:
    """Enabled plugins that run on a route without a consumer: route beats service beats global."""
    service = spec.services[service_name]
    route = service.routes[route_name]
    merged: dict[str, PluginEntry[Any]] = {}
    for scope in (spec.plugins, service.plugins, route.plugins):
        merged.update(scope.entries())
    return {name: entry for name, entry in merged.items() if entry.enabled}


def _identity_in_scope(spec: GatewaySpec) -> Iterator[Finding]:
    """``limit_by: consumer`` and ``acl`` silently degrade (to IP, or to 401 for all) without auth."""
    for service_name, route_name, _ in spec.routes():
        plugins = effective_plugins(spec, service_name, route_name)
        if any(name in plugins for name in AUTH_PLUGINS):
            continue
        route_loc = ("services", service_name, "routes", route_name)
        for name, entry in plugins.items():
            needs = _identity_need(name, entry)
            if needs:
                yield route_loc, f"{needs} but no key-auth or jwt plugin applies to this route"


def _identity_need(name: str, entry: PluginEntry[Any]) -> str | None:
    if name == "acl":
        return "plugin acl needs an authenticated consumer"
    limit_by = getattr(entry.config, "limit_by", None)
    if name == "rate-limiting" and limit_by in ("consumer", "credential"):
        return f"rate-limiting limit_by '{limit_by}' needs an authenticated consumer (Kong would silently limit by IP)"
    return None


def _dbless_limits(spec: GatewaySpec, mode: str) -> Iterator[Finding]:
    if mode != "dbless":
        return
    for scope, plugin, entry in spec.plugin_instances():
        if plugin == "rate-limiting" and entry.config.policy == "cluster":
            yield (*scope, plugin, "config", "policy"), "policy 'cluster' needs a database; use 'local' or 'redis' in dbless mode"


def _missing(kind: str, name: str, known: Any) -> str:
    return f"{kind} '{name}' does not exist; {kind}s: {', '.join(sorted(known)) or 'none'}"


