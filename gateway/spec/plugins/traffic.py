"""How much and what gets through: rate-limiting(-inline), request-size-limiting, request-termination,
proxy-cache (Kong 3.9.3 schemas)."""

# ruff: noqa: RUF012  (pydantic copies mutable field defaults per instance)
from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from gateway.spec.plugins.base import KongModel, PluginConfig, Ref
from gateway.spec.plugins.typedefs import (
    Boolean,
    HeaderName,
    Host,
    Integer,
    Number,
    Path,
    Port,
    SecretOnly,
    SecretOrString,
    Sni,
    String,
    Timeout,
    fail,
)

PERIODS = ("second", "minute", "hour", "day", "month", "year")
SYNC_RATE_REALTIME = -1

Limit = Annotated[Number, Field(gt=0)]


class RedisConfig(KongModel):
    """Kong's shared ``redis`` record (kong/tools/redis/schema.lua).

    ``password`` is a ``{secret: name}`` reference only, never a clear string, so no Redis password
    can be committed in a spec; ``username`` may be either.
    """

    host: Host | None = None
    port: Port = 6379
    timeout: Timeout = 2000
    username: SecretOrString | None = None
    password: SecretOnly | None = None
    database: Integer = 0
    ssl: Boolean = False
    ssl_verify: Boolean = False
    server_name: Sni | None = None


class RateLimitingBase(PluginConfig):
    """What Kong's ``rate-limiting`` and our ``rate-limiting-inline`` share: fixed-window counters per second
    ... year, with the fields, defaults and checks of Kong 3.9.3's kong/plugins/rate-limiting/schema.lua
    (``validate_periods_order``, its entity_checks), the same identifier, headers, answers and counter keys.

    Only the nested ``redis`` record is modelled: the deprecated flat ``redis_host``, ``redis_port``,
    ``redis_password`` ... shorthands (removed in Kong 4.0) are rejected as unknown fields.
    """

    priority = 910  # kong/plugins/rate-limiting/handler.lua: PRIORITY
    phases = frozenset({"access"})
    counts_requests = True
    doc_column = "limits"

    second: Limit | None = None
    minute: Limit | None = None
    hour: Limit | None = None
    day: Limit | None = None
    month: Limit | None = None
    year: Limit | None = None
    limit_by: Literal["consumer", "credential", "ip", "service", "header", "path"] = "consumer"
    header_name: HeaderName | None = None
    path: Path | None = None
    policy: Literal["local", "cluster", "redis"] = "local"
    """Each plugin narrows it: ``cluster`` is Kong's only."""
    fault_tolerant: Boolean = True
    redis: RedisConfig = Field(default_factory=RedisConfig)
    hide_client_headers: Boolean = False
    error_code: Annotated[Number, Field(gt=0)] = 429
    error_message: String = "API rate limit exceeded"

    def windows(self) -> str:
        """``100/minute, 1000/hour``: every window this instance counts."""
        return ", ".join(f"{value:g}/{period}" for period in PERIODS if (value := getattr(self, period)) is not None)

    def counted_per(self) -> str:
        """Who has a budget: ``consumer``, ``ip``, or the header named by ``header_name``..."""
        return self.header_name if self.limit_by == "header" and self.header_name else self.limit_by

    def doc_summary(self) -> str:
        return f"{self.windows()} per {self.counted_per()} ({self.policy})"

    @abstractmethod
    def counting(self) -> str:
        """When a request is counted, with the handler that does it: what ``explain`` says of each instance."""

    def counters(self) -> str:
        """Where the counters live, for the rate-limit table of docs/RATE_LIMITING.md."""
        return {"local": "each node", "cluster": "Kong's database", "redis": "Redis, shared"}[self.policy]

    @model_validator(mode="after")
    def _kong_checks(self) -> Self:
        limits = [(p, getattr(self, p)) for p in PERIODS if getattr(self, p) is not None]
        if not limits:
            raise fail("set at least one limit: second, minute, hour, day, month or year")
        for i, (lower, low) in enumerate(limits):
            for upper, high in limits[i + 1 :]:
                if high < low:
                    raise fail(
                        f"the {upper} limit ({high:g}) cannot be lower than the {lower} limit ({low:g}); "
                        "limits must not decrease from second to year"
                    )
        if self.policy == "redis" and self.redis.host is None:
            raise fail("policy: redis requires redis.host")
        if self.limit_by == "header" and self.header_name is None:
            raise fail("limit_by: header requires header_name")
        if self.limit_by == "path" and self.path is None:
            raise fail("limit_by: path requires path")
        return self

    def needs_consumer(self) -> Ref | None:
        if self.limit_by in ("consumer", "credential"):
            return ("limit_by",), (f"limit_by '{self.limit_by}' needs an authenticated consumer "
                                   "(Kong would silently limit by IP)")
        return None

    def needs_gateway_header(self) -> Ref | None:
        """``limit_by: header`` counts whatever the header says: a client could pick its own bucket."""
        if self.limit_by == "header" and self.header_name is not None:
            return ("header_name",), self.header_name
        return None


class RateLimitingConfig(RateLimitingBase):
    """Kong's bundled ``rate-limiting``: counts each request in a timer started at the end of ``access``
    (handler.lua ``RateLimitingHandler:access``: ``timer_at(0, increment, ...)``) for every policy but
    ``redis`` with a ``sync_rate``, which counts in the worker and writes to Redis every ``sync_rate`` seconds.

    ``policy: cluster`` stores counters in Kong's database, so DB-less Kong refuses it.
    """

    plugin_name = "rate-limiting"

    sync_rate: Number = SYNC_RATE_REALTIME

    @property
    def syncs(self) -> bool:
        """Counts in the worker and writes to Redis every ``sync_rate`` seconds: handler.lua's ``conf.sync_rate ~=
        SYNC_RATE_REALTIME and conf.policy == "redis"`` branch."""
        return self.policy == "redis" and self.sync_rate != SYNC_RATE_REALTIME

    def counting(self) -> str:
        if self.syncs:
            return (f"counts in the worker, written to Redis every {self.sync_rate:g} s "
                    "(kong/plugins/rate-limiting/handler.lua)")
        return "counts in a timer started per request (kong/plugins/rate-limiting/handler.lua)"

    def counters(self) -> str:
        if self.syncs:
            return f"Redis, shared, synced every {self.sync_rate:g} s"
        return super().counters()

    @model_validator(mode="after")
    def _sync_rate_checks(self) -> Self:
        if self.policy != "redis" and self.sync_rate != SYNC_RATE_REALTIME:
            raise fail("sync_rate can only be used with policy: redis; leave it at -1 otherwise")
        if self.syncs and self.sync_rate < 0.02:
            raise fail("sync_rate must be at least 0.02 seconds, or -1 for synchronous counting")
        return self

    def dbless_problems(self) -> Iterator[Ref]:
        if self.policy == "cluster":
            yield ("policy",), "policy 'cluster' needs a database; use 'local' or 'redis' in dbless mode"


class RateLimitingInlineConfig(RateLimitingBase):
    """``rate-limiting-inline`` (lua/kong/plugins/rate-limiting-inline): what a client sees is Kong's
    ``rate-limiting``'s, counter keys included, but each request is counted in the request itself: ``local``
    with ``shm:incr`` in ``access`` (exact per node), ``redis`` with one atomic ``EVAL`` (exact across nodes);
    no timer per request, so no ``sync_rate``, and no ``cluster`` policy."""

    plugin_name = "rate-limiting-inline"
    policy: Literal["local", "redis"] = "local"

    def counting(self) -> str:
        return "counts in the request (lua/kong/plugins/rate-limiting-inline/handler.lua)"


class RequestSizeLimitingConfig(PluginConfig):
    """``request-size-limiting``: refuse bodies over ``allowed_payload_size`` ``size_unit``s (413)."""

    plugin_name = "request-size-limiting"
    priority = 951  # kong/plugins/request-size-limiting/handler.lua: PRIORITY
    phases = frozenset({"access"})

    allowed_payload_size: Integer = 128
    size_unit: Literal["megabytes", "kilobytes", "bytes"] = "megabytes"
    require_content_length: Boolean = False
    doc_column = "limits"

    def doc_summary(self) -> str:
        return f"body ≤ {self.allowed_payload_size} {self.size_unit}"


class RequestTerminationConfig(PluginConfig):
    """``request-termination``: answer at the gateway (maintenance, stubs, debugging with ``echo``).

    ``message`` uses Kong's JSON response (``{"message": ...}``); ``body`` (+ ``content_type``) sends a
    raw body instead; ``echo`` returns the request. These three modes exclude each other.
    """

    plugin_name = "request-termination"
    priority = 2  # kong/plugins/request-termination/handler.lua: PRIORITY
    phases = frozenset({"access"})

    status_code: Annotated[Integer, Field(ge=100, le=599)] = 503
    message: String | None = None
    content_type: String | None = None
    body: String | None = None
    echo: Boolean = False
    trigger: HeaderName | None = None

    @model_validator(mode="after")
    def _one_response_mode(self) -> Self:
        if self.message is not None and (self.content_type is not None or self.body is not None):
            raise fail("message cannot be used with content_type or body; use message alone, or body")
        if self.content_type is not None and self.body is None:
            raise fail("content_type requires a body")
        if self.echo and (self.content_type is not None or self.body is not None):
            raise fail("echo cannot be used with content_type or body")
        return self


class ProxyCacheMemory(KongModel):
    """``memory`` strategy settings: the nginx ``lua_shared_dict`` holding cached responses."""

    dictionary_name: String = "kong_db_cache"


class ProxyCacheResponseHeaders(KongModel):
    """Diagnostic headers on cached responses; Kong names two of them as headers, hence aliases."""

    model_config = ConfigDict(serialize_by_alias=True)

    age: Boolean = True
    x_cache_status: Boolean = Field(True, alias="X-Cache-Status")
    x_cache_key: Boolean = Field(True, alias="X-Cache-Key")


class ProxyCacheConfig(PluginConfig):
    """``proxy-cache``: cache upstream responses in a node-local shared dict.

    ``strategy`` is required and ``memory`` is the only OSS strategy. Kong also checks at config time
    that ``memory.dictionary_name`` names an existing ``lua_shared_dict``; that depends on the nginx
    template of the running node (``kong_db_cache`` always exists), so it cannot be checked here.
    """

    plugin_name = "proxy-cache"
    priority = 100  # kong/plugins/proxy-cache/handler.lua: PRIORITY
    phases = frozenset({"access", "header_filter", "body_filter"})

    response_code: Annotated[list[Annotated[Integer, Field(ge=100, le=900)]], Field(min_length=1)] = [
        200,
        301,
        404,
    ]
    request_method: list[Literal["HEAD", "GET", "POST", "PATCH", "PUT"]] = ["GET", "HEAD"]
    content_type: list[String] = ["text/plain", "application/json"]
    cache_ttl: Annotated[Integer, Field(gt=0)] = 300
    strategy: Literal["memory"]
    cache_control: Boolean = False
    ignore_uri_case: Boolean = False
    storage_ttl: Integer | None = None
    memory: ProxyCacheMemory = Field(default_factory=ProxyCacheMemory)
    vary_query_params: list[String] | None = None
    vary_headers: list[String] | None = None
    response_headers: ProxyCacheResponseHeaders = Field(
        default_factory=lambda: ProxyCacheResponseHeaders.model_validate({})
    )
