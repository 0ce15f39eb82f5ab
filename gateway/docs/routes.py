"""The routes table of the API documentation: one row per route, with what Kong runs on it.

The plugins of a row are those Kong runs for a request without a consumer-scoped plugin: one instance per
plugin name, the most specific enabled one (``gateway.kong.scope``: a disabled route instance leaves the
service's in effect).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.kong.scope import SpecResolver
from gateway.spec.fields import PUBLIC_TAG
from gateway.spec.models import GatewaySpec, PluginEntry, Route, Service
from gateway.spec.plugins.base import DocColumn

VERSION_IN_PATH = re.compile(r"/(v\d+)(?:/|$)")
VERSION_HEADER = "x-api-version"
NONE = "-"


@dataclass(frozen=True)
class RouteRow:
    route: str
    paths: str
    methods: str
    service: str
    version: str
    auth: str
    acl: str
    limits: str
    language: str


COLUMNS: tuple[tuple[str, str], ...] = (
    ("route", "route"), ("paths", "path"), ("methods", "methods"), ("service", "service → upstream"),
    ("version", "version"), ("auth", "auth"), ("acl", "ACL groups"), ("limits", "limits"),
    ("language", "language routing"),
)


def route_rows(spec: GatewaySpec) -> list[RouteRow]:
    """Every route of every enabled service, in spec order."""
    rows = []
    resolver = SpecResolver(spec)
    for service_name, route_name, route in spec.routes():
        service = spec.services[service_name]
        if not service.enabled:
            continue
        by_column: dict[DocColumn, list[PluginEntry[Any]]] = {}
        for _, entry in resolver.on_route(service_name, route_name).values():
            column = type(entry.config).doc_column
            if column is not None:
                by_column.setdefault(column, []).append(entry)
        rows.append(RouteRow(
            route=route_name,
            paths=_paths(route),
            methods=", ".join(route.methods) if route.methods else "any",
            service=f"{service_name} → {service.upstream or f'{service.host}:{service.port}'}",
            version=_version(service, route),
            auth=_auth(by_column.get("auth", []), {*service.tags, *route.tags}),
            acl=_join(by_column.get("acl", []), "; "),
            limits=_join(by_column.get("limits", []), "; "),
            language=_join(by_column.get("language", []), "; "),
        ))
    return rows


def _paths(route: Route) -> str:
    parts = list(route.paths or [])
    parts += [f"{name}: {', '.join(values)}" for name, values in (route.headers or {}).items()
              if name.lower() != VERSION_HEADER]
    parts += [f"host {host}" for host in route.hosts or []]
    return "<br>".join(parts) or "any"


def _version(service: Service, route: Route) -> str:
    header = next((values for name, values in (route.headers or {}).items() if name.lower() == VERSION_HEADER), None)
    in_route = next((m.group(1) for p in route.paths or [] if (m := VERSION_IN_PATH.search(p))), None)
    in_service = VERSION_IN_PATH.search(service.path or "")
    if header:
        return f"{', '.join(header)} (X-API-Version: {', '.join(header)})"
    version = in_route or (in_service.group(1) if in_service else None)
    if version is None:
        return NONE
    return version if in_route else f"{version} (unversioned path)"


def _auth(entries: list[PluginEntry[Any]], tags: set[str]) -> str:
    if not entries:
        return "none (public)" if PUBLIC_TAG in tags else "none"
    either = all(getattr(e.config, "anonymous", None) for e in entries)
    return (" or " if either else " and ").join(e.config.doc_summary() for e in entries)


def _join(entries: list[PluginEntry[Any]], sep: str) -> str:
    return sep.join(e.config.doc_summary() for e in entries) or NONE


def markdown_table(rows: list[RouteRow]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(str(getattr(row, field))) for field, _ in COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"
