"""Constrained scalar types of the spec's entities, each mirroring a Kong 3.9.3 typedef.

The typedefs plugins share (host, path, header name, method, port) live in ``gateway.spec.plugins.typedefs``;
this module adds what only entities use: names, tags, router paths, targets and the service timeouts.
Catching these at ``validate`` time spares a half-applied ``pulumi up``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from gateway.spec.plugins.typedefs import (
    HeaderName,
    Host,
    HttpMethod,
    Integer,
    Path,
    Port,
    String,
    check_path,
    fail,
    host_kind,
)

__all__ = ["HeaderName", "Host", "HttpProtocol", "Method", "Name", "Path", "Port", "Protocol", "RouteHost",
           "RouterPath", "Tag", "Target", "Timeout", "WildcardHost", "split_target"]

_UTF8_NAME = re.compile(r"^[A-Za-z0-9._~\-\u0080-\U0010ffff]+$")
_TAG = re.compile(r"^[ !-+\-.0-~\u0080-\U0010ffff]+$")  # printable ASCII except ',' and '/'

Protocol = Literal["http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp"]
HttpProtocol = Literal["http", "https", "grpc", "grpcs"]
Method = HttpMethod


def _name(value: str) -> str:
    if not _UTF8_NAME.match(value):
        raise fail(f"'{value}' is not a valid name: use letters, digits and . - _ ~")
    return value


def _tag(value: str) -> str:
    if not _TAG.match(value):
        raise fail(f"'{value}' is not a valid tag: printable characters except ',' and '/'")
    return value


@cache
def kong_regex(pattern: str) -> re.Pattern[str]:
    """A Kong (PCRE) route regex in Python's dialect: named groups are spelt ``(?P<name>`` (as Kong's
    kong/router/transform.lua rewrites them for Rust's regex crate)."""
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern))


def _router_path(value: str) -> str:
    """Kong's ``typedefs.router_path``: ``/prefix`` or ``~/regex`` that compiles."""
    if not value.startswith("~"):
        if not value.startswith("/"):
            raise fail(f"'{value}' must start with '/' (prefix) or '~/' (regex)")
        return check_path(value)
    if not value.startswith("~/"):
        raise fail(f"'{value}': a regex path must start with '~/'")
    if "//" in value:
        raise fail(f"'{value}' must not have empty segments ('//')")
    try:
        kong_regex(value[1:])
    except re.error as exc:
        raise fail(f"'{value}' is not a valid regex: {exc}") from None
    return value


def _route_host(value: str) -> str:
    """Kong's ``typedefs.hosts`` element: one ``*`` as the leftmost or rightmost label, an optional port,
    and what is left (``*`` read as a label) a valid host name or IP."""
    if value.count("*") > 1:
        raise fail(f"'{value}': invalid wildcard: must have at most one wildcard")
    if "*" in value and not (value.startswith("*.") or value.endswith(".*")):
        raise fail(f"'{value}': invalid wildcard: must be placed at leftmost or rightmost label")
    try:
        host_kind(value.replace("*", "abc"))
    except ValueError:
        raise fail(f"invalid host '{value}': expected a host name or IP, optional :port, one '*' label") from None
    return value


def _wildcard_host(value: str) -> str:
    """Kong's ``typedefs.wildcard_host`` (route ``snis`` under traditional_compatible): a host name with at
    most one ``*`` as its first or last character, no port, not an IP."""
    star = value.find("*")
    if star not in (-1, 0, len(value) - 1) or value.count("*") > 1:
        raise fail(f"'{value}': a wildcard must be the leftmost or rightmost character, and only one")
    try:
        kind, has_port = host_kind(value.replace("*", "wildcard"))
    except ValueError:
        raise fail(f"invalid server name '{value}'") from None
    if kind != "name":
        raise fail(f"server name '{value}' must not be an IP")
    if has_port:
        raise fail(f"server name '{value}' must not have a port")
    return value


def split_target(value: str) -> tuple[str, int | None]:
    """``host:port`` or ``[ipv6]:port`` split; ValueError on a malformed port."""
    if value.startswith("["):
        host, _, rest = value.partition("]")
        host += "]"
        port_text = rest[1:] if rest.startswith(":") else None
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        host, port_text = value, None
    if port_text is None:
        return host, None
    if not port_text.isdigit():
        raise ValueError(f"'{value}': port '{port_text}' is not a number")
    return host, int(port_text)


def _target(value: str) -> str:
    """What Kong's target validator accepts: a host name or IP, with an optional port."""
    try:
        host, port = split_target(value)
        host_kind(host)
    except ValueError:
        raise fail(f"'{value}' is not a valid target: use host:port or [ipv6]:port") from None
    if port is not None and not 1 <= port <= 65535:
        raise fail(f"'{value}': port {port} is out of range 1-65535")
    return value


Name = Annotated[String, Field(max_length=128), AfterValidator(_name)]
Tag = Annotated[String, AfterValidator(_tag)]
PUBLIC_TAG = "public"
"""A route, or a service for all its routes, tagged ``public`` is meant to be reached without credentials: it
needs no auth plugin (the policy pack, ``explain lint``, the routes table of the docs)."""
RouterPath = Annotated[String, AfterValidator(_router_path)]
Target = Annotated[String, AfterValidator(_target)]
RouteHost = Annotated[String, AfterValidator(_route_host)]
"""Route ``hosts``: ``api.example.com``, ``*.example.com``, ``example.*``, ``example.com:8443``."""
WildcardHost = Annotated[String, AfterValidator(_wildcard_host)]
Timeout = Annotated[Integer, Field(ge=1, le=2**31 - 2)]
"""Service timeouts: milliseconds, and unlike ``typedefs.timeout`` never 0."""
