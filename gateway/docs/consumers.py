"""The consumers table of docs/AUTHENTICATION.md: who may call what, with which credential."""

from __future__ import annotations

from gateway.kong.scope import SpecResolver
from gateway.spec.models import GatewaySpec

NS = "ai4v-gateway"


def consumers_table(spec: GatewaySpec) -> str:
    """One row per consumer: groups, credentials (by the config key holding the secret) and the routes its
    groups open (routes whose ACL allows one of them)."""
    acl_routes: dict[str, list[str]] = {}
    resolver = SpecResolver(spec)
    for service_name, route_name, _ in spec.routes():
        acl = resolver.on_route(service_name, route_name).get("acl")
        if acl is not None and spec.services[service_name].enabled:
            for group in acl[1].config.allow or []:
                acl_routes.setdefault(group, []).append(route_name)
    lines = ["| consumer | ACL groups | key-auth keys (secret config key) "
             "| JWT credentials (`iss`, algorithm, secret) | routes its groups open |", "|---|---|---|---|---|"]
    for name, consumer in spec.consumers.items():
        keys = [f"`{NS}:{cred.key.secret}`" for cred in consumer.keyauth_credentials.values()]
        jwts = [f"`{jwt.key}`, {jwt.algorithm}, " + (f"`{NS}:{jwt.secret.secret}`" if jwt.secret else "public key")
                for jwt in consumer.jwt_secrets.values()]
        routes = sorted({r for group in consumer.acl_groups for r in acl_routes.get(group, [])})
        lines.append(f"| {name} | {', '.join(consumer.acl_groups) or '-'} | {'<br>'.join(keys) or '-'} | "
                     f"{'<br>'.join(jwts) or '-'} | {len(routes)} |")
    return "\n".join(lines) + "\n"
