"""The stable shape of one explained request (``explain --json``; documented in docs/EXPLAIN.md).

Adding a key is a compatible change; renaming or removing one is not (tests/test_explain.py pins it).
"""

from __future__ import annotations

from typing import TypedDict

SCHEMA_VERSION = 1


class RequestOut(TypedDict):
    method: str
    url: str
    host: str
    port: int
    credential: str | None


class RouteOut(TypedDict):
    service: str
    route: str
    spec_path: str
    priority: str
    """Kong's 64-bit route priority, hex (higher wins)."""
    matched_path: str | None
    ties: list[str]


class PluginStep(TypedDict):
    name: str
    priority: int | None
    phases: list[str]
    scope: str
    """``global``, ``service:NAME``, ``route:SERVICE/ROUTE`` or ``consumer:NAME``."""
    spec_path: str
    ran: bool
    """False when an earlier plugin already answered (its response phases still run)."""
    modelled: bool
    decision: str
    status: int | None


class BucketOut(TypedDict):
    plugin_scope: str
    route: str | None
    service: str | None
    identifier: str
    key: str
    """``ratelimit:<route>:<service>:<identifier>`` as rate-limiting/policies/init.lua builds it, names
    standing in for ids and ``-`` for none."""
    limits: dict[str, float]
    policy: str


class LanguageOut(TypedDict):
    language: str | None
    script: str | None
    source: str | None
    confidence: float | None
    upstream: str | None
    service_id: str | None
    body_rewritten: bool
    error: str | None


class UpstreamOut(TypedDict):
    service: str
    host: str
    """The service's host, or the upstream a plugin switched to."""
    targets: list[str]
    scheme: str
    method: str
    path: str
    query: str
    headers: dict[str, str]


class Outcome(TypedDict):
    version: int
    request: RequestOut
    route: RouteOut | None
    status: int | None
    """The status Kong or a plugin answers itself; None when the request is proxied."""
    answered_by: str | None
    consumer: str | None
    credential: str | None
    plugins: list[PluginStep]
    buckets: list[BucketOut]
    language: LanguageOut | None
    upstream: UpstreamOut | None
    response_headers: dict[str, str]
    notes: list[str]
