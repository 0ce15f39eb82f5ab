"""Kong 3.9.3 schema types as pydantic annotations (after ``kong/db/schema/typedefs.lua``).

Kong validates JSON types strictly (``"5"`` is not a number, ``1`` is not a boolean) and rejects empty
strings unless a field sets ``len_min = 0``; the aliases here do the same, so a spec that validates here
is not refused later by the Admin API or by ``kong config parse``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Hashable
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
)
from pydantic_core import CoreSchema, PydanticCustomError

from gateway.spec.refs import SecretRef

T = TypeVar("T", bound=Hashable)


def fail(message: str) -> PydanticCustomError:
    """An error whose text is exactly ``message`` (no ``Value error,`` prefix): users read it as
    ``file: path: message``."""
    return PydanticCustomError("kong_schema", "{reason}", {"reason": message})


def _number_out(value: float) -> int | float:
    # cjson writes 100.0 as 100; keeping integral numbers integral keeps diffs against Kong quiet.
    return int(value) if value.is_integer() else value


String = Annotated[str, Field(strict=True, min_length=1)]
"""Kong ``string``: empty strings are refused by default."""
AnyString = Annotated[str, Field(strict=True)]
"""Kong ``string`` with ``len_min = 0``."""
Boolean = Annotated[bool, Field(strict=True)]
Integer = Annotated[int, Field(strict=True)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False), PlainSerializer(_number_out)]
"""Kong ``number``: int or float in, integral values written back as integers."""


def unique(values: list[T]) -> list[T]:
    """Kong ``set``: duplicates are dropped silently, first occurrence kept."""
    return list(dict.fromkeys(values))


# --- header_name -----------------------------------------------------------------------------------

_HEADER_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


def check_header_name(name: str) -> str:
    """kong.tools.http.validate_header_name."""
    if not _HEADER_NAME.match(name):
        raise fail(f"bad header name '{name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'")
    return name


HeaderName = Annotated[String, AfterValidator(check_header_name)]


# --- http_method -----------------------------------------------------------------------------------


def _check_http_method(method: str) -> str:
    if not re.fullmatch(r"[A-Z]+", method):
        raise fail(f"invalid HTTP method '{method}': only uppercase letters A-Z are allowed")
    return method


HttpMethod = Annotated[String, AfterValidator(_check_http_method)]


# --- host / sni (kong.tools.ip.normalize_ip) -------------------------------------------------------

_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d+))?$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9._-]+$")


def host_kind(host: str) -> tuple[str, bool]:
    """(``ipv4`` | ``ipv6`` | ``name``, has_port) as Kong's normalize_ip sees it; ValueError if invalid."""
    if host.count(":") > 1:
        bracketed = re.fullmatch(r"\[([^\]]*)\](?::(\d*))?", host)
        address = bracketed.group(1) if bracketed else host
        ipaddress.IPv6Address(address)  # raises ValueError
        return "ipv6", bool(bracketed and bracketed.group(2) is not None)
    if re.fullmatch(r"[\d.]+", host.replace(":", "")):
        m = _IPV4.match(host)
        if not m or any(int(octet) > 255 for octet in m.groups()[:4]):
            raise ValueError(host)
        return "ipv4", m.group(5) is not None
    name, has_port = host, False
    port = re.search(r":(\d+)$", host)
    if port:
        name, has_port = host[: port.start()], True
    if not _HOSTNAME.match(name):
        raise ValueError(host)
    segments = name.split(".")
    for index, segment in enumerate(segments):
        if segment.endswith("-") or (segment == "" and index != len(segments) - 1):
            raise ValueError(host)
    return "name", has_port


def _check_host(host: str) -> str:
    try:
        _, has_port = host_kind(host)
    except ValueError:
        raise fail(f"invalid host '{host}': expected a host name or an IP address") from None
    if has_port:
        raise fail(f"host '{host}' must not have a port (set the port field instead)")
    return host


def _check_sni(host: str) -> str:
    _check_host(host)
    if host_kind(host)[0] != "name":
        raise fail(f"server name '{host}' must be a host name, not an IP address")
    return host


Host = Annotated[String, AfterValidator(_check_host)]
Sni = Annotated[String, AfterValidator(_check_sni)]
Port = Annotated[Integer, Field(ge=0, le=65535)]
Timeout = Annotated[Integer, Field(ge=0, le=2**31 - 2)]
"""Milliseconds, 0 .. 2^31-2."""


# --- ip_or_cidr ------------------------------------------------------------------------------------


def _check_ip_or_cidr(value: str) -> str:
    try:
        if "/" in value:
            address, prefix = value.split("/", 1)
            ip = ipaddress.ip_address(address)
            if not prefix.isdigit() or int(prefix) > ip.max_prefixlen:
                raise ValueError(value)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        raise fail(f"invalid ip or cidr range: '{value}'") from None
    return value


IpOrCidr = Annotated[String, AfterValidator(_check_ip_or_cidr)]


# --- url / path ------------------------------------------------------------------------------------


def _check_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise fail(f"could not parse url '{url}': {error}") from None
    if not parts.scheme or "://" not in url:
        raise fail(f"url '{url}' has no scheme; write it as http://host/...")
    if not parts.hostname:
        raise fail(f"url '{url}' has no host")
    return url


Url = Annotated[String, AfterValidator(_check_url)]

_PATH_CHARS = re.compile(r"^/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$")


def check_path(path: str) -> str:
    if not path.startswith("/"):
        raise fail(f"path '{path}' must start with '/'")
    if "//" in path:
        raise fail(f"path '{path}' must not have empty segments ('//')")
    if not _PATH_CHARS.match(path):
        raise fail(f"invalid path '{path}': characters outside of the reserved list of RFC 3986 found")
    if "%" in re.sub(r"%[0-9A-Fa-f]{2}", "", path):
        raise fail(f"invalid path '{path}': '%' must start a percent-encoded byte such as %20")
    return path


Path = Annotated[String, AfterValidator(check_path)]

LuaCode = dict[String, String]
"""``custom_fields_by_lua``: field name -> Lua expression. Kong also sandbox-checks the code."""


def split_colon_pair(entry: str) -> tuple[str, str] | None:
    """Lua ``entry:match("^([^:]+):*(.-)$")``: name up to the first colon, value after the colons."""
    m = re.fullmatch(r"([^:]+):*(.*)", entry, flags=re.DOTALL)
    return (m.group(1), m.group(2)) if m else None


# --- secrets ---------------------------------------------------------------------------------------


class _UnionMessage:
    """Replace a union's one-error-per-branch output with one sentence."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = cast(dict[str, Any], handler(source))
        if schema["type"] == "union":
            schema["custom_error_type"] = "kong_schema"
            schema["custom_error_message"] = self.message
        return cast(CoreSchema, schema)


SecretOrString = Annotated[
    SecretRef | String,
    _UnionMessage("expected a non-empty string or a secret reference {secret: camelCaseName}"),
]
"""A Kong ``referenceable`` string that may also be kept out of the spec."""


def _only_secret(value: Any) -> Any:
    if value is not None and not isinstance(value, (dict, SecretRef)):
        raise fail("must be a secret reference {secret: camelCaseName}; a clear value is never allowed here")
    return value


SecretOnly = Annotated[SecretRef, BeforeValidator(_only_secret)]
"""A value that must never sit in a spec file (e.g. a Redis password)."""
