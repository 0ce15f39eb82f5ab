"""What requests and responses look like: request-transformer, response-transformer, correlation-id,
cors (Kong 3.9.3 schemas).

The transformer lists hold ``name:value`` strings exactly as Kong stores them; the element checks below
are the ones in the plugins' schema.lua (``match = "^[^:]+:.*$"``, header-name checks, "has a value").
"""

# ruff: noqa: RUF012  (pydantic copies mutable field defaults per instance)
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, Self, get_args

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from gateway.spec.plugins.base import KongModel, PluginConfig
from gateway.spec.plugins.typedefs import (
    Boolean,
    HttpMethod,
    Number,
    String,
    check_header_name,
    fail,
    split_colon_pair,
)


def _element(check: Callable[[str], None]) -> Callable[[str], str]:
    def run(entry: str) -> str:
        check(entry)
        return entry

    return run


def _name_of(entry: str) -> str:
    pair = split_colon_pair(entry)
    if pair is None:
        raise fail(f"'{entry}' has no name before ':'")
    return pair[0]


def _has_colon(entry: str) -> None:
    if ":" not in entry or entry.startswith(":"):
        raise fail(f"'{entry}' must be written as 'name:value'")


def _header_entry(entry: str) -> None:
    check_header_name(_name_of(entry))


def _colon_header_entry(entry: str) -> None:
    _has_colon(entry)
    _header_entry(entry)


def _rename_header_entry(entry: str) -> None:
    _has_colon(entry)
    pair = split_colon_pair(entry)
    assert pair is not None
    check_header_name(pair[0])
    if not pair[1]:
        raise fail(f"'{entry}' must be written as 'old-header:new-header'")
    check_header_name(pair[1])


def _value_entry(entry: str) -> None:
    pair = split_colon_pair(entry)
    if pair is None or not pair[1]:
        raise fail(f"'{entry}' has no value; write it as 'name:value'")


Plain = list[String]
HeaderNames = list[Annotated[String, AfterValidator(_element(_header_entry))]]
ColonPairs = list[Annotated[String, AfterValidator(_element(_has_colon))]]
ColonHeaders = list[Annotated[String, AfterValidator(_element(_colon_header_entry))]]
HeaderRenames = list[Annotated[String, AfterValidator(_element(_rename_header_entry))]]
ValuePairs = list[Annotated[String, AfterValidator(_element(_value_entry))]]


# --- request-transformer ---------------------------------------------------------------------------


class RequestRemove(KongModel):
    body: Plain = []
    headers: HeaderNames = []
    querystring: Plain = []


class RequestRename(KongModel):
    body: ValuePairs = []
    headers: HeaderRenames = []
    querystring: ValuePairs = []


class RequestAdd(KongModel):
    """Also the shape of ``append``."""

    body: ValuePairs = []
    headers: ColonHeaders = []
    querystring: ValuePairs = []


class RequestReplace(RequestAdd):
    uri: String | None = None


class RequestTransformerConfig(PluginConfig):
    """``request-transformer``: edit the request before it is proxied.

    Values may be templates, but they only see ``headers``, ``query_params``, ``uri_captures`` and
    ``shared``; Kong checks template syntax itself (not reproduced here).
    """

    plugin_name = "request-transformer"
    priority = 801  # kong/plugins/request-transformer/handler.lua: PRIORITY
    phases = frozenset({"access"})

    http_method: HttpMethod | None = None
    remove: RequestRemove = Field(default_factory=RequestRemove)
    rename: RequestRename = Field(default_factory=RequestRename)
    replace: RequestReplace = Field(default_factory=RequestReplace)
    add: RequestAdd = Field(default_factory=RequestAdd)
    append: RequestAdd = Field(default_factory=RequestAdd)


# --- response-transformer --------------------------------------------------------------------------


class ResponseRemove(KongModel):
    json_: Plain = Field(default=[], alias="json")
    headers: Plain = []

    model_config = ConfigDict(serialize_by_alias=True)


class ResponseRename(KongModel):
    json_: ColonPairs = Field(default=[], alias="json")
    headers: HeaderRenames = []

    model_config = ConfigDict(serialize_by_alias=True)


class ResponseAdd(KongModel):
    """Shape of ``replace``, ``add`` and ``append``; ``json_types`` gives each ``json`` value's type."""

    json_: ColonPairs = Field(default=[], alias="json")
    json_types: list[Literal["boolean", "number", "string"]] = []
    headers: ColonPairs = []

    model_config = ConfigDict(serialize_by_alias=True)


class ResponseTransformerConfig(PluginConfig):
    """``response-transformer``: edit the upstream response; JSON keys are literal top-level keys."""

    plugin_name = "response-transformer"
    priority = 800  # kong/plugins/response-transformer/handler.lua: PRIORITY
    phases = frozenset({"header_filter", "body_filter"})

    remove: ResponseRemove = Field(default_factory=ResponseRemove)
    rename: ResponseRename = Field(default_factory=ResponseRename)
    replace: ResponseAdd = Field(default_factory=ResponseAdd)
    add: ResponseAdd = Field(default_factory=ResponseAdd)
    append: ResponseAdd = Field(default_factory=ResponseAdd)


# --- correlation-id --------------------------------------------------------------------------------


class CorrelationIdConfig(PluginConfig):
    """``correlation-id``: the request id (templates in request-transformer cannot make one)."""

    plugin_name = "correlation-id"
    priority = 100001  # kong/plugins/correlation-id/handler.lua: PRIORITY
    phases = frozenset({"access", "header_filter"})

    header_name: String = "Kong-Request-ID"
    generator: Literal["uuid", "uuid#counter", "tracker"] = "uuid#counter"
    echo_downstream: Boolean = False


# --- cors ------------------------------------------------------------------------------------------

CorsMethod = Literal["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
CORS_METHODS: tuple[CorsMethod, ...] = get_args(CorsMethod)


class CorsConfig(PluginConfig):
    """``cors``: origins are ``*`` or PCRE regexes / exact origins (regex syntax is checked by Kong).

    One rule is ours, not Kong's: ``origins: ["*"]`` (or no origins) with ``credentials: true`` is
    refused, because Kong then reflects any caller's Origin together with
    ``Access-Control-Allow-Credentials: true``.
    """

    plugin_name = "cors"
    priority = 2000  # kong/plugins/cors/handler.lua: PRIORITY
    phases = frozenset({"access", "header_filter"})

    origins: list[String] | None = None
    headers: list[String] | None = None
    exposed_headers: list[String] | None = None
    methods: list[CorsMethod] = list(CORS_METHODS)
    max_age: Number | None = None
    credentials: Boolean = False
    private_network: Boolean = False
    preflight_continue: Boolean = False

    @model_validator(mode="after")
    def _no_wildcard_credentials(self) -> Self:
        if self.credentials and (not self.origins or "*" in self.origins):
            raise fail("credentials: true needs explicit origins; '*' (or no origins) would allow any site")
        return self
