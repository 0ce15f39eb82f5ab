"""What the gateway tells us: prometheus, file-log, http-log (Kong 3.9.3 schemas)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator

from gateway.spec.plugins.base import KongModel, PluginConfig
from gateway.spec.plugins.typedefs import (
    Boolean,
    HeaderName,
    Integer,
    LuaCode,
    Number,
    SecretOrString,
    String,
    Url,
    fail,
)


class PrometheusConfig(PluginConfig):
    """``prometheus``: metrics on the status/admin ``/metrics`` endpoint.

    Kong also checks that the ``prometheus_metrics`` shared dict exists; it always does in the
    stock nginx template, and it is a property of the node, not of this config.
    """

    plugin_name = "prometheus"
    priority = 13  # kong/plugins/prometheus/handler.lua: PRIORITY
    phases = frozenset({"log"})

    per_consumer: Boolean = False
    status_code_metrics: Boolean = False
    ai_metrics: Boolean = False
    latency_metrics: Boolean = False
    bandwidth_metrics: Boolean = False
    upstream_health_metrics: Boolean = False


def _check_log_path(path: str) -> str:
    if re.search(r"[*&%\\`]", path):
        raise fail(f"'{path}' is not a valid filename: it must not contain * & % \\ or `")
    return path


class FileLogConfig(PluginConfig):
    """``file-log``: one JSON line per request appended to ``path`` inside the Kong container."""

    plugin_name = "file-log"
    priority = 9  # kong/plugins/file-log/handler.lua: PRIORITY
    phases = frozenset({"log"})

    path: Annotated[String, AfterValidator(_check_log_path)]
    reopen: Boolean = False
    custom_fields_by_lua: LuaCode | None = None


def _check_concurrency(value: int) -> int:
    if value not in (-1, 1):
        raise fail("concurrency_limit must be 1 or -1 (unlimited)")
    return value


class Queue(KongModel):
    """Kong's shared plugin queue record (kong/tools/queue_schema.lua)."""

    max_batch_size: Annotated[Integer, Field(ge=1, le=1_000_000)] = 1
    max_coalescing_delay: Annotated[Number, Field(ge=0, le=3600)] = 1
    max_entries: Annotated[Integer, Field(ge=1, le=1_000_000)] = 10000
    max_bytes: Integer | None = None
    max_retry_time: Number = 60
    initial_retry_delay: Annotated[Number, Field(ge=0.001, le=1_000_000)] = 0.01
    max_retry_delay: Annotated[Number, Field(ge=0.001, le=1_000_000)] = 60
    concurrency_limit: Annotated[Integer, AfterValidator(_check_concurrency)] = 1


_FORBIDDEN_LOG_HEADERS = {"host", "content-length", "content-type"}


def _check_log_header(name: str) -> str:
    if name.lower() in _FORBIDDEN_LOG_HEADERS:
        raise fail(f"headers cannot contain '{name}': Kong sets Host, Content-Length and Content-Type itself")
    return name


LogHeaderName = Annotated[HeaderName, AfterValidator(_check_log_header)]


class HttpLogConfig(PluginConfig):
    """``http-log``: POST/PUT/PATCH batches of request logs to ``http_endpoint``.

    ``http_endpoint`` is a plain string; if it embeds credentials (``https://user:pass@host``) it is
    itself a secret, so prefer an ``Authorization`` header whose value is ``{secret: name}``.
    The deprecated ``retry_count``, ``queue_size`` and ``flush_timeout`` (no effect since the
    ``queue`` record, removed in Kong 4.0) are rejected as unknown fields.
    """

    plugin_name = "http-log"
    priority = 12  # kong/plugins/http-log/handler.lua: PRIORITY
    phases = frozenset({"log"})

    http_endpoint: Url
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    content_type: Literal["application/json", "application/json; charset=utf-8"] = "application/json"
    timeout: Number = 10000
    keepalive: Number = 60000
    headers: dict[LogHeaderName, SecretOrString] | None = None
    queue: Queue = Field(default_factory=Queue)
    custom_fields_by_lua: LuaCode | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        has_userinfo = "@" in urlsplit(self.http_endpoint).netloc
        if has_userinfo and self.headers and any(h.lower() == "authorization" for h in self.headers):
            raise fail("give credentials either in http_endpoint (user:pass@) or in an Authorization header, not both")
        return self
