"""One client request as the offline model sees it: what arrives at Kong's proxy port."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

PROXY_PORTS = {"http": 8000, "https": 8443}
"""Kong's default ``proxy_listen`` ports: the destination port when the Host header names none."""


class RequestError(ValueError):
    """A request given on the command line or in a traffic case that cannot be understood."""


@dataclass(frozen=True)
class Credential:
    """A credential of the spec (``CONSUMER/CREDENTIAL``), presented the way its auth plugin reads it."""

    consumer: str
    name: str


@dataclass(frozen=True)
class Request:
    method: str
    scheme: str
    host: str
    port: int
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    credential: Credential | None = None

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    def query_values(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def with_headers(self, *pairs: tuple[str, str]) -> Request:
        return replace(self, headers=self.headers + pairs)

    def url(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.path}{'?' + query if query else ''}"


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise RequestError(f"header '{text}': write it as 'Name: value'")
    return name.strip(), value.strip()


def build_request(method: str, url: str, headers: list[str] | None = None, body: bytes | None = None,
                  credential: str | None = None) -> Request:
    """A Request from what a user types: ``GET http://localhost:8000/api/v1/asr`` or just a path."""
    method = method.upper()
    if not method.isalpha():
        raise RequestError(f"method '{method}': expected letters only, such as GET or POST")
    if url.startswith("/"):
        url = "http://localhost" + url
    parts = urlsplit(url)
    if parts.scheme not in PROXY_PORTS or not parts.hostname:
        raise RequestError(f"url '{url}': expected http(s)://host[:port]/path or a path starting with '/'")
    pairs = [parse_header(h) for h in headers or ()]
    host_header = next((v for k, v in pairs if k.lower() == "host"), parts.netloc)
    host, port_text = host_header, ""
    if ":" in host_header and not (host_header.startswith("[") and host_header.endswith("]")):
        host, _, port_text = host_header.rpartition(":")
    if port_text and not port_text.isdigit():
        raise RequestError(f"host '{host_header}': the port must be a number")
    port = int(port_text) if port_text else PROXY_PORTS[parts.scheme]
    if not any(k.lower() == "host" for k, _ in pairs):
        pairs.insert(0, ("Host", host_header))
    if body is not None and not any(k.lower() == "content-length" for k, _ in pairs):
        pairs.append(("Content-Length", str(len(body))))
    found = None
    if credential:
        consumer, sep, name = credential.partition("/")
        if not sep or not consumer or not name:
            raise RequestError(f"credential '{credential}': write it as CONSUMER/CREDENTIAL")
        found = Credential(consumer, name)
    return Request(
        method=method,
        scheme=parts.scheme,
        host=host or parts.hostname,
        port=port,
        path=parts.path or "/",
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        headers=tuple(pairs),
        body=body,
        credential=found,
    )
