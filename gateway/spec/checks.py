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
            where: Loc = ("consumers", name, "keyauth_credentials", cred_name, "key")
            yield from claim("key-auth secret", cred.key.secret, where)
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
        anonymous = getattr(config, "anonymous", None) if plugin in AUTH_PLUGINS else None
        if anonymous and anonymous not in spec.consumers:
            yield (*scope, plugin, "config", "anonymous"), _missing("consumer", anonymous, spec.consumers)
        if plugin == "acl":
            for field in ("allow", "deny"):
                for index, group in enumerate(getattr(config, field) or []):
                    if group not in groups:
                        in_use = ", ".join(sorted(groups)) or "none"
                        yield (*scope, plugin, "config", field, index), (
                            f"no consumer is in ACL group '{group}'; groups in use: {in_use}"
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


def effective_plugins(spec: GatewaySpec, service_name: str, route_name: str) -> dict[str, tuple[Loc, PluginEntry[Any]]]:
    """Enabled plugins that run on a route without a consumer, with the scope each comes from.

    Kong runs one instance per plugin name: route beats service beats global.
    """
    service = spec.services[service_name]
    route = service.routes[route_name]
    merged: dict[str, tuple[Loc, PluginEntry[Any]]] = {}
    scopes: list[tuple[Loc, Any]] = [
        (("plugins",), spec.plugins),
        (("services", service_name, "plugins"), service.plugins),
        (("services", service_name, "routes", route_name, "plugins"), route.plugins),
    ]
    for loc, scope in scopes:
        merged.update({name: (loc, entry) for name, entry in scope.entries()})
    return {name: found for name, found in merged.items() if found[1].enabled}


def _identity_in_scope(spec: GatewaySpec) -> Iterator[Finding]:
    """``limit_by: consumer`` and ``acl`` silently degrade (to IP, or to 401 for all) without auth.

    Reported once per plugin instance, at the field to change, naming the routes without auth.
    """
    unauthenticated: dict[tuple[Loc, str], list[str]] = {}
    for service_name, route_name, _ in spec.routes():
        plugins = effective_plugins(spec, service_name, route_name)
        if any(name in plugins for name in AUTH_PLUGINS):
            continue
        for name, (scope, entry) in plugins.items():
            if _identity_need(name, entry):
                unauthenticated.setdefault((scope, name), []).append(route_name)
    for (scope, name), routes in unauthenticated.items():
        entry = _scope_entry(spec, scope, name)
        field: Loc = ("config", "allow") if name == "acl" else ("config", "limit_by")
        shown = ", ".join(routes[:5]) + (f" and {len(routes) - 5} more" if len(routes) > 5 else "")
        need = _identity_need(name, entry)
        yield (*scope, name, *field), f"{need}, but no key-auth or jwt applies on route(s) {shown}"


def _scope_entry(spec: GatewaySpec, scope: Loc, name: str) -> PluginEntry[Any]:
    holder: Any = spec
    for part in scope[:-1]:
        holder = holder[part] if isinstance(holder, dict) else getattr(holder, str(part))
    entry: PluginEntry[Any] | None = holder.plugins.get(name)
    assert entry is not None
    return entry


def _identity_need(name: str, entry: PluginEntry[Any]) -> str | None:
    if name == "acl":
        return "acl needs an authenticated consumer"
    limit_by = getattr(entry.config, "limit_by", None)
    if name == "rate-limiting" and limit_by in ("consumer", "credential"):
        return f"limit_by '{limit_by}' needs an authenticated consumer (Kong would silently limit by IP)"
    return None


def _dbless_limits(spec: GatewaySpec, mode: str) -> Iterator[Finding]:
    if mode != "dbless":
        return
    for scope, plugin, entry in spec.plugin_instances():
        if plugin == "rate-limiting" and entry.config.policy == "cluster":
            yield (*scope, plugin, "config", "policy"), (
                "policy 'cluster' needs a database; use 'local' or 'redis' in dbless mode"
            )


def missing_prefix(kind: str, name: str) -> str:
    """How every "refers to an entity that is not there" finding starts (the loader matches on it)."""
    return f"{kind} '{name}' does not exist"


def _missing(kind: str, name: str, known: Any) -> str:
    return f"{missing_prefix(kind, name)}; {kind}s: {', '.join(sorted(known)) or 'none'}"


