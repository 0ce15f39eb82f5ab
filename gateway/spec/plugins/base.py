"""Base class for typed Kong plugin configs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from gateway.spec.refs import Resolver, SecretRef

DocColumn = Literal["auth", "acl", "limits", "language"]
ConfigLoc = tuple[str | int, ...]
"""A field path inside one plugin's ``config``."""
Ref = tuple[ConfigLoc, str]
"""(field path inside ``config``, the name it refers to, or a message)."""


class KongModel(BaseModel):
    """A Kong schema record: unknown fields rejected, as Kong does."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class PluginConfig(KongModel):
    """The ``config`` record of one Kong plugin."""

    plugin_name: ClassVar[str]
    """Kong's plugin name, e.g. ``rate-limiting``."""
    priority: ClassVar[int]
    """The handler's ``PRIORITY``: Kong runs plugins from high to low (kong/db/dao/plugins.lua
    ``sort_by_handler_priority``; equal priorities by name, descending)."""
    phases: ClassVar[frozenset[str]] = frozenset({"access"})
    """The handler's request phases (``access``, ``header_filter``, ``log`` ...); ``rewrite`` runs only
    for global instances (kong/init.lua runs the rewrite phase through the global iterator)."""
    authenticates: ClassVar[bool] = False
    """Identifies a consumer (key-auth, jwt): what acl and ``limit_by: consumer`` need in scope."""
    default_protocols: ClassVar[tuple[str, ...]] = ("grpc", "grpcs", "http", "https")
    """Kong's ``protocols`` of an instance that sets none: ``typedefs.protocols`` and ``protocols_http`` default
    to every HTTP-subsystem protocol, sorted (kong/db/schema/typedefs.lua, kong/constants.lua)."""
    counts_requests: ClassVar[bool] = False
    """Counts requests against limits (rate-limiting, rate-limiting-inline): ``explain`` records its bucket,
    ``lint`` reads the buckets, the rate-limit table lists it, ``make bench-live`` raises its limits."""
    doc_column: ClassVar[DocColumn | None] = None
    """The column of the generated routes table (``python -m gateway docs``) this plugin fills, if any."""

    def doc_summary(self) -> str:
        """What this instance does, in a few words for that column."""
        return self.plugin_name

    # Cross-check hooks: each plugin states what it refers to and needs; gateway.spec.checks asks
    # every instance, so adding a plugin is one class plus one registry line.

    def upstream_refs(self) -> Iterator[Ref]:
        """Upstreams of the spec this config names."""
        return iter(())

    def consumer_refs(self) -> Iterator[Ref]:
        """Consumers of the spec this config names."""
        return iter(())

    def group_refs(self) -> Iterator[Ref]:
        """ACL groups this config names (some consumer must be in each)."""
        return iter(())

    def needs_consumer(self) -> Ref | None:
        """(field, reason) when this config silently degrades without an authenticating plugin."""
        return None

    def needs_gateway_header(self) -> Ref | None:
        """(field, header) when this config trusts a request header only the gateway may set."""
        return None

    def sets_headers(self) -> set[str]:
        """Request headers this plugin sets after removing any client copy (lower case)."""
        return set()

    def log_redactions(self) -> set[str]:
        """What this plugin keeps out of logging plugins' payloads: ``query:<name>`` and
        ``header:<name>`` (lower case); ``gateway lint`` checks credentials against it."""
        return set()

    def dbless_problems(self) -> Iterator[Ref]:
        """(field, message) for what DB-less Kong refuses in this config."""
        return iter(())

    def to_kong(self, resolve_secret: Resolver, *, nulls: bool = False) -> dict[str, Any]:
        """The JSON object Kong stores, secrets replaced by what ``resolve_secret`` returns.

        ``nulls=True`` keeps unset fields as ``null``: Kong's PATCH merges ``config`` key by key
        (kong/db/schema/init.lua ``Schema:merge_values``), so only an explicit ``null`` clears a key a
        previous deploy set. Every field left ``None`` here is one Kong's schema lets be null (no default).
        """
        return self.model_dump(mode="json", exclude_none=not nulls, context={"resolve_secret": resolve_secret})

    def upstream_fallbacks(self) -> dict[str, str]:
        """Upstream this plugin routes to -> the upstream it uses instead while that one is unhealthy."""
        return {}

    def secret_names(self) -> set[str]:
        """Names of every secret this config refers to."""
        found: set[str] = set()
        _collect(self, found)
        return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, SecretRef):
        found.add(value.secret)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
