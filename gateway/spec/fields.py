"""Constrained scalar types shared by the spec models, each mirroring a Kong 3.9.3 typedef.

Kong validates these with Lua patterns and custom validators in ``kong/db/schema/typedefs.lua``; the
regexes here follow them so that a mistake is caught at ``validate`` time, not by the Admin API
half-way through a ``pulumi up``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

_UTF8_NAME = re.compile(r"^[A-Za-z0-9._~\-\u0080-\U0010ffff]+$")
_TAG = re.compile(r"^[ !-+\-.0-~\u0080-\U0010ffff]+$")  # printable ASCII except ',' and '/'
_HOST_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^{_HOST_LABEL}(\.{_HOST_LABEL})*\.?$")
_PATH = re.compile(r"^/[A-Za-z0-9._~/%:@!$&'()*+,;=-]*$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_METHOD = re.compile(r"^[A-Z]+$")

Protocol = Literal["http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp"]
HttpProtocol = Literal["http", "https", "grpc", "grpcs"]


def _name(value: str) -> str:
    if not _UTF8_NAME.match(value):
        raise ValueError(f"'{value}' is not a valid name: use letters, digits and . - _ ~")
    return value


def _tag(value: str) -> str:
    if not _TAG.match(value):
        raise ValueError(f"'{value}' is not a valid tag: printable characters except ',' and '/'")
    return value


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _host(value: str) -> str:
    if is_ip(value) or _HOSTNAME.match(value):
        return value
    raise ValueError(f"'{value}' is not a valid host name or IP address (no port, no scheme)")


def check_path(value: str) -> str:
    """Kong's ``typedefs.path``: absolute, no empty segment, RFC 3986 characters, valid %-escapes."""
    if not value.startswith("/"):
        raise ValueError(f"'{value}' must start with '/'")
    if "//" in value:
        raise ValueError(f"'{value}' must not have empty segments ('//')")
    if not _PATH.match(value):
        raise ValueError(f"'{value}' has characters outside RFC 3986's reserved list")
    if "%" in re.sub(r"%[0-9A-Fa-f]{2}", "", value):
        raise ValueError(f"'{value}' has an invalid %-escape")
    return value


def _router_path(value: str) -> str:
    """Kong's ``typedefs.router_path``: ``/prefix`` or ``~/regex`` that compiles."""
    if value.startswith("~"):
        if not value.startswith("~/"):
            raise ValueError(f"'{value}': a regex path must start with '~/'")
        if "//" in value:
            raise ValueError(f"'{value}' must not have empty segments ('//')")
        try:  # Kong uses PCRE; Python spells its named groups (?P<name>...)
            re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", value[1:]))
        except re.error as exc:
            raise ValueError(f"'{value}' is not a valid regex: {exc}") from None
        return value
    if not value.startswith("/"):
        raise ValueError(f"'{value}' must start with '/' (prefix) or '~/' (regex)")
    return check_path(value)


def _header_name(value: str) -> str:
    if not _HEADER_NAME.match(value):
        raise ValueError(f"'{value}' is not a valid HTTP header name")
    return value


def _method(value: str) -> str:
    if not _METHOD.match(value):
        raise ValueError(f"'{value}' is not an HTTP method: use upper-case letters, e.g. GET")
    return value


def _target(value: str) -> str:
    """``host[:port]`` or ``[ipv6][:port]``, as Kong's target validator accepts."""
    host, port = split_target(value)
    _host(host)
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"'{value}': port {port} is out of range 1-65535")
    return value


def split_target(value: str) -> tuple[str, int | None]:
    """Split ``host:port``; raises ValueError on a malformed port."""
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


Name = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_name)]
Tag = Annotated[str, Field(min_length=1), AfterValidator(_tag)]
Host = Annotated[str, Field(min_length=1, max_length=253), AfterValidator(_host)]
Path = Annotated[str, Field(min_length=1), AfterValidator(check_path)]
RouterPath = Annotated[str, Field(min_length=1), AfterValidator(_router_path)]
HeaderName = Annotated[str, Field(min_length=1), AfterValidator(_header_name)]
Method = Annotated[str, AfterValidator(_method)]
Target = Annotated[str, Field(min_length=1), AfterValidator(_target)]
Port = Annotated[int, Field(ge=0, le=65535)]
Timeout = Annotated[int, Field(ge=1, le=2**31 - 2)]
