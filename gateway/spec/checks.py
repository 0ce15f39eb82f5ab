"""Checks that span entities: references, uniqueness, route overlap and what plugins need in scope.

Each returns ``(loc, message)`` pairs; the loader turns them into Problems naming the file to fix. What
a plugin refers to or needs is asked of its config model (``PluginConfig`` hooks), so no check here
names a plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.kong.scope import SpecResolver
from gateway.spec.models import GatewaySpec, Route
from gateway.spec.problems import Loc, format_loc

Finding = tuple[Loc, str]


def cross_check(spec: GatewaySpec, mode: str) -> list[Finding]:
    return [
        *_unique_names(spec),
        *_references(spec),
        *_route_overlap(spec),
        *_identity_in_scope(spec),
        *_gateway_headers(spec),
        *_dbless(spec, mode),
        *_db_limits(spec, mode),
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
        here: Loc = (*scope, plugin, "config")
        for where, consumer in config.consumer_refs():
            if consumer not in spec.consumers:
                yield (*here, *where), _missing("consumer", consumer, spec.consumers)
        for where, group in config.group_refs():
            if group not in groups:
                in_use = ", ".join(sorted(groups)) or "none"
                yield (*here, *where), f"no consumer is in ACL group '{group}'; groups in use: {in_use}"
        for where, upstream in config.upstream_refs():
            if upstream not in spec.upstreams:
                yield (*here, *where), _missing("upstream", upstream, spec.upstreams)


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


def _identity_in_scope(spec: GatewaySpec) -> Iterator[Finding]:
    """``limit_by: consumer`` and ``acl`` silently degrade (to IP, or to 401 for all) without auth.

    Reported once per plugin instance, at the field to change, naming the routes without auth.
    """
    unauthenticated: dict[tuple[Loc, str], tuple[Loc, str, list[str]]] = {}
    resolver = SpecResolver(spec)
    for service_name, route_name, _ in spec.routes():
        plugins = resolver.on_route(service_name, route_name)
        if any(entry.config.authenticates for _, entry in plugins.values()):
            continue
        for name, (scope, entry) in plugins.items():
            need = entry.config.needs_consumer()
            if need is not None:
                found = unauthenticated.setdefault((scope, name), (need[0], need[1], []))
                found[2].append(route_name)
    for (scope, name), (field, need, routes) in unauthenticated.items():
        shown = ", ".join(routes[:5]) + (f" and {len(routes) - 5} more" if len(routes) > 5 else "")
        yield (*scope, name, "config", *field), f"{need}, but no key-auth or jwt applies on route(s) {shown}"


def _gateway_headers(spec: GatewaySpec) -> Iterator[Finding]:
    """A config that trusts a request header (``limit_by: header``) needs a global plugin that removes
    the client's copy and sets it: only global plugins run before routing (Kong's ``rewrite``)."""
    before_routing = SpecResolver(spec).effective()  # no route yet: global instances (get_global_iterator)
    owned = {header for _, entry in before_routing.values() for header in entry.config.sets_headers()}
    for scope, plugin, entry in spec.plugin_instances():
        need = entry.config.needs_gateway_header()
        if entry.enabled and need is not None and need[1].lower() not in owned:
            yield (*scope, plugin, "config", *need[0]), (
                f"header '{need[1]}' is whatever the client sends, so a client could pick its own bucket; "
                "use a header that a global plugin sets after removing the client's copy (identity-guard's "
                "identity_header), or limit_by consumer or ip"
            )


def _dbless(spec: GatewaySpec, mode: str) -> Iterator[Finding]:
    if mode != "dbless":
        return
    for scope, plugin, entry in spec.plugin_instances():
        for where, message in entry.config.dbless_problems():
            yield (*scope, plugin, "config", *where), message


def _db_limits(spec: GatewaySpec, mode: str) -> Iterator[Finding]:
    """What pulumi-kong (terraform-provider-kong) cannot deploy. ``resourceKongConsumerUpdate`` sends
    ``custom_id: d.Get("custom_id")``, i.e. ``""`` for a consumer without one, and Kong refuses an empty
    string (len_min 1): any later change to such a consumer (its tags) would fail."""
    if mode != "db":
        return
    for name, consumer in spec.consumers.items():
        if consumer.custom_id is None:
            yield ("consumers", name, "custom_id"), (
                "required in db mode (pulumi-kong sends custom_id \"\" when it updates a consumer without one, "
                f"which Kong refuses); set a unique id, e.g. custom_id: {name}"
            )
    for name, service in spec.services.items():
        if service.tls_verify_depth == 0:  # readIntPtrFromResource: GetOk drops 0, Kong would keep the old depth
            yield ("services", name, "tls_verify_depth"), (
                "pulumi-kong cannot send 0 (db mode); use 1 to 64, or leave it unset for nginx's default (1)")


def missing_prefix(kind: str, name: str) -> str:
    """How every "refers to an entity that is not there" finding starts (the loader matches on it)."""
    return f"{kind} '{name}' does not exist"


def _missing(kind: str, name: str, known: Any) -> str:
    return f"{missing_prefix(kind, name)}; {kind}s: {', '.join(sorted(known)) or 'none'}"


WARNED_STACKS = ("staging", "prod")
"""Stacks that serve real traffic: a single point of failure there is worth a warning."""


def warnings(spec: GatewaySpec, stack: str | None) -> list[Finding]:
    """What is valid but likely to hurt; ``validate`` prints these without failing."""
    if stack not in WARNED_STACKS:
        return []
    fallbacks = _router_fallbacks(spec)
    found: list[Finding] = []
    for name, up in spec.upstreams.items():
        active = up.healthchecks.active
        if len(up.targets) == 1 and (active.healthy.interval > 0 or active.unhealthy.interval > 0):
            if fallbacks.get(name):
                after = ("language-router sends its requests to "
                         + ", ".join(f"'{f}'" for f in sorted(fallbacks[name])) + " meanwhile, any other "
                         "route to it gets 503")
            else:
                after = "every request routed to it gets 503 until a check passes again"
            found.append((
                ("upstreams", name, "targets"),
                f"warning: one target with active health checks on {up.health_path}: when it fails them, "
                f"Kong's balancer has no healthy target left and {after}; add a second target",
            ))
    return found


def _router_fallbacks(spec: GatewaySpec) -> dict[str, set[str]]:
    """Upstream -> the upstreams plugins use instead while it is unhealthy."""
    out: dict[str, set[str]] = {}
    for _, _, entry in spec.plugin_instances():
        for upstream, fallback in entry.config.upstream_fallbacks().items():
            out.setdefault(upstream, set()).add(fallback)
    return out
