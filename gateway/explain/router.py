"""Kong 3.9's ``traditional_compatible`` router, offline: which route a request takes and the upstream path.

Rules (Kong 3.9.3, cited by function, never copied):
- kong/router/transform.lua ``get_expression``: methods are exact; a host ``*.x`` matches names ending in
  ``.x``, ``x.*`` names starting with ``x.``, ``host:port`` also needs the destination port; a ``~`` path is
  a regex anchored at the start only, any other path a prefix; header values compare lower-cased (``~*``
  values are regexes); every field set must match.
- ``get_priority``: one 64-bit number per route, highest wins: number of fields set (bits 61-63), hosts
  without wildcard (60), number of headers (52-59), regex path (51), ``regex_priority`` for regex routes
  (19-50), prefix length (0-18).
- ``split_routes_and_services_by_path``: a route whose paths are regexes and prefixes of several lengths
  becomes one matcher per group, each with its own priority.
- kong/router/atc.lua ``matching`` + kong/router/utils.lua ``get_upstream_uri_v0``: ``strip_path`` removes
  the matched part; the rest joins the service path. ``path_handling: v1`` has no effect under this
  flavour (kong/db/schema/entities/routes.lua deprecation note), so it is treated as ``v0``.
- kong/tools/uri.lua ``normalize``: the path is percent-decoded (unreserved bytes) and dot segments go,
  before matching.
- kong/runloop/handler.lua (access ``before``): protocols are checked after the match; an https-only route
  answers ``https_redirect_status_code`` to plain http.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.explain.request import Request
from gateway.spec.fields import kong_regex
from gateway.spec.models import GatewaySpec, Route, Service

U64 = (1 << 64) - 1
MAX_HEADER_COUNT = 255


@dataclass(frozen=True)
class HostRule:
    op: str  # "=", "suffix", "prefix"
    host: str
    port: int | None


@dataclass(frozen=True)
class Matcher:
    """One ATC matcher: a route, or one path group of a route with mixed path kinds/lengths."""

    service: str
    route: str
    paths: tuple[str, ...]
    priority: int
    order: int


@dataclass(frozen=True)
class RouteMatch:
    service: str
    route: str
    matched_path: str | None
    captures: dict[str, str]
    """Kong's ``uri_captures`` of a regex path: numbered (``"0"`` the whole match) and named groups."""
    priority: int
    ties: tuple[str, ...]
    """Other routes that match this request with the same priority: Kong's pick among them depends on
    route ids, not on the spec."""


@dataclass
class Router:
    spec: GatewaySpec
    matchers: list[Matcher] = field(default_factory=list)

    @classmethod
    def build(cls, spec: GatewaySpec) -> Router:
        router = cls(spec)
        order = 0
        for service_name, route_name, route in spec.routes():
            if not set(route.protocols) & {"http", "https", "grpc", "grpcs"}:
                continue
            for paths in path_groups(route.paths):
                router.matchers.append(
                    Matcher(service_name, route_name, paths, priority(route, paths), order))
                order += 1
        router.matchers.sort(key=lambda m: (-m.priority, m.order))
        return router

    def route_of(self, matcher: Matcher) -> Route:
        return self.spec.services[matcher.service].routes[matcher.route]

    def match(self, request: Request) -> RouteMatch | None:
        path = normalize(request.path)
        found: tuple[Matcher, str | None, dict[str, str]] | None = None
        ties: list[str] = []
        for matcher in self.matchers:
            if found is not None and matcher.priority < found[0].priority:
                break
            hit = matches(self.route_of(matcher), matcher.paths, request, path)
            if hit is None:
                continue
            if found is None:
                found = (matcher, *hit)
            elif matcher.route != found[0].route:
                ties.append(f"{matcher.service}/{matcher.route}")
        if found is None:
            return None
        matcher, matched_path, captures = found
        return RouteMatch(matcher.service, matcher.route, matched_path, captures, matcher.priority, tuple(ties))


def path_groups(paths: list[str] | None) -> list[tuple[str, ...]]:
    """transform.lua ``group_by_regex_or_length``: regexes together, prefixes by length, in first-seen order."""
    if not paths:
        return [()]
    groups: dict[int, list[str]] = {}
    for path in paths:
        groups.setdefault(0 if path.startswith("~") else len(path), []).append(path)
    return [tuple(group) for group in groups.values()]


def priority(route: Route, paths: tuple[str, ...]) -> int:
    """transform.lua ``get_priority`` for an HTTP route (one path group), as unsigned 64-bit arithmetic."""
    weight = sum(1 for value in (route.methods, route.hosts, route.headers, route.snis) if value)
    headers = min(len(route.headers or {}), MAX_HEADER_COUNT)
    plain_host_only = route.hosts is not None and not any("*" in h for h in route.hosts)
    regex = bool(paths) and paths[0].startswith("~")
    length = 0 if regex or not paths else len(paths[0])
    if paths:
        weight += 1
    value = (weight << 61) | (headers << 52) | (length & 0x7FFFF)
    if plain_host_only:
        value |= 1 << 60
    if regex:
        value |= 1 << 51
        value |= ((route.regex_priority & U64) << 19) & U64
    return value & U64


def host_rules(hosts: list[str] | None) -> tuple[HostRule, ...]:
    rules = []
    for entry in hosts or ():
        host, port = _split_host_port(entry)
        if host.startswith("*"):
            rules.append(HostRule("suffix", host[1:], port))
        elif host.endswith("*"):
            rules.append(HostRule("prefix", host[:-1], port))
        else:
            rules.append(HostRule("=", host, port))
    return tuple(rules)


def _split_host_port(value: str) -> tuple[str, int | None]:
    m = re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::(\d+))?", value)
    if m is None:
        return value, None
    return m.group(1), int(m.group(2)) if m.group(2) else None


def _host_ok(route: Route, request: Request) -> bool:
    if not route.hosts:
        return True
    for rule in host_rules(route.hosts):
        if rule.op == "=":
            hit = request.host == rule.host
        elif rule.op == "suffix":
            hit = request.host.endswith(rule.host)
        else:
            hit = request.host.startswith(rule.host)
        if hit and (rule.port is None or rule.port == request.port):
            return True
    return False


def _headers_ok(route: Route, request: Request) -> bool:
    for name, wanted in (route.headers or {}).items():
        values = [v.lower() for v in request.header_values(name)]
        if not any(_header_value_ok(want, values) for want in wanted):
            return False
    return True


def _header_value_ok(want: str, values: list[str]) -> bool:
    if want.startswith("~*"):
        pattern = kong_regex(want[2:].lower())
        return any(pattern.search(v) for v in values)
    return want.lower() in values


def matches(route: Route, paths: tuple[str, ...], request: Request,
            path: str) -> tuple[str | None, dict[str, str]] | None:
    """(matched path, regex captures) when ``route`` (restricted to ``paths``) matches, else None."""
    if route.methods and request.method not in route.methods:
        return None
    if not _host_ok(route, request) or not _headers_ok(route, request):
        return None
    if route.snis and request.scheme == "https" and not any(_sni_ok(s, request.host) for s in route.snis):
        return None
    if not paths:
        return None, {}
    for candidate in paths:
        if candidate.startswith("~"):
            m = kong_regex(candidate[1:]).match(path)
            if m:
                captures = {str(i): g for i, g in enumerate((m.group(0), *m.groups())) if g is not None}
                captures.update({k: v for k, v in m.groupdict().items() if v is not None})
                return m.group(0), captures
        elif path.startswith(candidate):
            return candidate, {}
    return None


def _sni_ok(sni: str, host: str) -> bool:
    if sni.startswith("*"):
        return host.endswith(sni[1:])
    if sni.endswith("*"):
        return host.startswith(sni[:-1])
    return host == sni.rstrip(".")


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_RESERVED = frozenset(b"!*'();:@&=+$,/?%#[]")


def normalize(uri: str) -> str:
    """kong/tools/uri.lua ``normalize(uri, true)``: percent-decode every byte but the reserved ones (those
    are upper-cased), then remove dot segments (RFC 3986 5.2.4) and merge slashes."""
    if uri in ("", "/"):
        return uri

    def decode(m: re.Match[str]) -> str:
        num = int(m.group(1), 16)
        return m.group(0).upper() if num in _RESERVED else chr(num)

    uri = _PERCENT.sub(decode, uri)
    if "." not in uri and "//" not in uri:
        return uri
    out: list[str] = []
    while uri:
        if uri in ("/.", "/.."):
            if uri == "/.." and out:
                out.pop()
            uri = "/"
        elif uri in (".", ".."):
            uri = ""
        elif uri.startswith("../"):
            uri = uri[3:]
        elif uri.startswith("/./"):
            uri = uri[2:]
        elif uri.startswith("/../"):
            if out:
                out.pop()
            uri = uri[3:]
        elif uri.startswith("//"):
            uri = uri[1:]
        elif uri.startswith("./"):
            uri = uri[2:]
        else:
            cut = uri.find("/", 1)
            out.append(uri if cut < 0 else uri[:cut])
            uri = "" if cut < 0 else uri[cut:]
    return "".join(out)


def upstream_path(route: Route, service: Service, request_path: str, matched_path: str | None) -> str:
    """kong/router/utils.lua ``get_upstream_uri_v0`` (what atc.lua ``set_upstream_uri`` feeds it)."""
    req_uri = normalize(request_path)
    prefix = matched_path if route.strip_path and matched_path is not None else "/"
    postfix = _sanitize_postfix(req_uri[len(prefix):] if req_uri.startswith(prefix) else req_uri[1:])
    base = service.path or "/"
    if base.endswith("/"):
        if route.strip_path:
            if postfix == "":
                if base == "/":
                    return "/"
                return base if req_uri.endswith("/") else base[:-1]
            if postfix.startswith("/"):
                return base[:-1] + postfix
            return base + postfix
        return base + req_uri[1:]
    if route.strip_path:
        if postfix == "":
            return base + "/" if len(req_uri) > 1 and req_uri.endswith("/") else base
        return base + postfix if postfix.startswith("/") else base + "/" + postfix
    return base if req_uri == "/" else base + req_uri


_OPTIONAL_GROUP = re.compile(r"\((?:\?P?<[A-Za-z_]\w*>|\?:)?[^()]*\)[?*]")
_PLAIN = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*")


def sample_path(path: str) -> str | None:
    """A request path a route path matches: a prefix as is; a regex whose only variable parts are
    optional groups (``~/api/asr$``, ``~/api/v2/asr(?<rest>/.*)?$``) without them; else None."""
    if not path.startswith("~"):
        return path
    text = _OPTIONAL_GROUP.sub("", path[1:]).removeprefix("^").removesuffix("$")
    if _PLAIN.fullmatch(text) and kong_regex(path[1:]).match(text):
        return text
    return None


def _sanitize_postfix(postfix: str) -> str:
    """utils.lua ``sanitize_uri_postfix``."""
    if postfix in (".", ".."):
        return ""
    if postfix.startswith("./"):
        return postfix[2:]
    if postfix.startswith("../"):
        return postfix[3:]
    return postfix


def protocol_refusal(route: Route, request: Request) -> int | None:
    """The status an https-only route answers to plain http (kong/runloop/handler.lua), else None."""
    protocols = set(route.protocols)
    if request.scheme == "http" and "https" in protocols and "http" not in protocols:
        return route.https_redirect_status_code
    return None
