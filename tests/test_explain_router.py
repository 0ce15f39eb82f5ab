"""Route priority as Kong 3.9.3 decides it, ported from Kong's own router specs.

Each case restates, in our spec format, a fact that ``spec/01-unit/08-router_spec.lua`` (Kong 3.9.3,
``traditional_compatible`` flavour) asserts: the routes, the request, and which route wins. Where Kong's
spec relies on route ids to break a tie between equal priorities, the case says so: the model reports
such a tie instead of guessing. The path table at the end restates rows of Kong's
``spec/fixtures/router_path_handling_tests.lua`` (``path_handling: v0``, the only one this flavour uses).
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.explain.engine import Model, explain, no_language
from gateway.explain.request import build_request
from gateway.explain.router import Router, normalize, priority
from gateway.spec.models import GatewaySpec, Route

# --- Kong's shared use case of ``select()``: 15 routes of every kind ---------------------------------
SELECT_CASE: dict[str, dict[str, Any]] = {
    "r1-host": {"hosts": ["domain-1.org", "domain-2.org"]},
    "r2-method": {"methods": ["TRACE"]},
    "r3-uri": {"paths": ["/my-route"]},
    "r4-host-uri": {"paths": ["/route-4"], "hosts": ["domain-1.org", "domain-2.org"]},
    "r5-host-method": {"hosts": ["domain-1.org", "domain-2.org"], "methods": ["POST", "PUT", "PATCH"]},
    "r6-uri-method": {"methods": ["POST", "PUT", "PATCH"], "paths": ["/route-6"]},
    "r7-host-uri-method": {"hosts": ["domain-with-uri-1.org", "domain-with-uri-2.org"],
                           "methods": ["POST", "PUT", "PATCH"], "paths": ["/my-route-uri"]},
    "r9-headers": {"headers": {"location": ["my-location-1", "my-location-2"]}},
    "r10-headers-multi": {"headers": {"location": ["my-location-1"], "version": ["v1", "v2"]}},
    "r11-headers-uri": {"headers": {"location": ["my-location-1", "my-location-2"]}, "paths": ["/headers-uri"]},
    "r12-all": {"hosts": ["domain-with-headers-1.org", "domain-with-headers-2.org"],
                "headers": {"location": ["my-location-1", "my-location-2"]},
                "methods": ["POST", "PUT", "PATCH"], "paths": ["/headers-host-uri-method"]},
    "r14-port-only": {"hosts": ["domain-3.org:321"]},
    "r15-header-regex": {"headers": {"user-agent": [r"~*windows|linux|os\s+x\s*[\d\._]+|solaris|bsd"]}},
}

UA_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/83.0 Safari/537.36"

# (method, url, headers, expected route or None)
SELECT_REQUESTS: list[tuple[str, str, dict[str, str], str | None]] = [
    ("GET", "http://domain-1.org/", {}, "r1-host"),                              # [host]
    ("GET", "http://domain-1.org:80/", {}, "r1-host"),                           # [host] ignores default port
    ("GET", "http://domain-3.org:321/", {}, "r14-port-only"),                    # specific port, port-only route
    ("GET", "http://domain-3.org:123/", {}, None),                               # fails because of the port
    ("GET", "http://domain.org/my-route", {}, "r3-uri"),                         # [uri]
    ("GET", "http://domain.org/my-route-uri", {}, "r3-uri"),                     # [uri + other host]
    ("TRACE", "http://domain.org/", {}, "r2-method"),                            # [method]
    ("GET", "http://domain-1.org/route-4", {}, "r4-host-uri"),                   # [host + uri]
    ("POST", "http://domain-1.org/", {}, "r5-host-method"),                      # [host + method]
    ("PUT", "http://domain.org/route-6", {}, "r6-uri-method"),                   # [uri + method]
    ("PUT", "http://domain-with-uri-2.org/my-route-uri", {}, "r7-host-uri-method"),
    ("GET", "http://x.org/", {"location": "my-location-1"}, "r9-headers"),       # single [headers] value
    ("GET", "http://x.org/", {"location": "my-location-2"}, "r9-headers"),
    ("GET", "http://x.org/", {"location": "my-location-3"}, None),
    ("GET", "http://x.org/", {"user-agent": UA_LINUX}, "r15-header-regex"),
    ("GET", "http://x.org/", {"location": "my-location-1", "version": "v1"}, "r10-headers-multi"),
    ("GET", "http://x.org/", {"location": "my-location-1", "version": "v2"}, "r10-headers-multi"),
    ("GET", "http://x.org/", {"location": "my-location-2", "version": "v2"}, "r9-headers"),  # falls back to r9
    ("GET", "http://x.org/headers-uri", {"location": "my-location-2"}, "r11-headers-uri"),
    ("PUT", "http://domain-with-headers-1.org/headers-host-uri-method", {"location": "my-location-2"}, "r12-all"),
    ("GET", "http://domain.org/my-route/some/path", {}, "r3-uri"),               # [uri prefix]
    ("GET", "http://domain.org/some-other-prefix/my-route", {}, None),           # misses: not a prefix
    ("GET", "http://domain-1.org/", {"location": "invalid-location"}, "r1-host"),
    ("GET", "http://domain.org/", {"location": "invalid-location"}, None),       # misses: invalid [headers]
]

# --- small use cases: (routes, [(method, url, headers, expected)]) ----------------------------------
CASES: dict[str, tuple[dict[str, dict[str, Any]], list[tuple[str, str, dict[str, str], str | None]]]] = {
    "longer [uri] is not superseded": (
        {"hello": {"paths": ["/my-route/hello"]}, "short": {"paths": ["/my-route"]}},
        [("GET", "/my-route/hello", {}, "hello"), ("GET", "/my-route/hello/world", {}, "hello"),
         ("GET", "/my-route", {}, "short"), ("GET", "/my-route/world", {}, "short")]),
    "longer [uri] wins while [methods] are also set": (
        {"short": {"methods": ["POST", "PUT", "GET"], "paths": ["/my-route"]},
         "hello": {"methods": ["POST", "PUT", "GET"], "paths": ["/my-route/hello"]}},
        [("GET", "/my-route/hello", {}, "hello"), ("GET", "/my-route/world", {}, "short")]),
    "longer [uri] wins while [hosts] are also set": (
        {"short": {"hosts": ["domain.org"], "paths": ["/my-route"]},
         "hello": {"hosts": ["domain.org"], "paths": ["/my-route/hello"]}},
        [("GET", "http://domain.org/my-route/hello/world", {}, "hello"),
         ("GET", "http://domain.org/my-route", {}, "short")]),
    "a better [uri] for another [host] does not win": (
        {"com-short": {"hosts": ["example.com"], "paths": ["/my-route"]},
         "com-hello": {"hosts": ["example.com"], "paths": ["/my-route/hello"]},
         "net-long": {"hosts": ["example.net"], "paths": ["/my-route/hello/world"]}},
        [("GET", "http://example.com/my-route/hello/world", {}, "com-hello"),
         ("GET", "http://example.com/my-route/hello/world/and/goodnight", {}, "com-hello")]),
    "[uri prefix] is anchored": (
        {"something": {"paths": ["/something/my-route"]},
         "host-uri": {"hosts": ["example.com"], "paths": ["/my-route"]}},
        [("GET", "http://example.com/something/my-route", {}, "something")]),
    "[uri regex]": (
        {"profile": {"paths": [r"~/users/\d+/profile"]}},
        [("GET", "/users/123/profile", {}, "profile")]),
    "the right one of several [uri regex]": (
        {"persons": {"paths": [r"~/route/persons/\d{3}"]},
         "following": {"paths": [r"~/route/persons/\d{3}/following"]},
         "lower": {"paths": [r"~/route/persons/\d{3}/[a-z]+"]}},
        [("GET", "/route/persons/456", {}, "persons")]),
    "[uri regex] beats a matching [prefix uri]": (
        {"prefix": {"paths": ["/route/persons"]}, "regex": {"paths": [r"~/route/persons/\d+/profile"]}},
        [("GET", "/route/persons/123/profile", {}, "regex")]),
    "[uri regex] beats an exact [uri]": (
        {"exact": {"paths": ["/route/fixture"]}, "regex": {"paths": ["~/route/(fixture)"]}},
        [("GET", "/route/fixture", {}, "regex")]),
    "[uri regex + host] beats [prefix uri + host]": (
        {"pat": {"hosts": ["route.com"], "paths": ["/pat"]},
         "path-post": {"hosts": ["route.com"], "paths": ["/path"], "methods": ["POST"]},
         "regex": {"hosts": ["route.com"], "paths": ["~/(path)"]}},
        [("GET", "http://route.com/path", {}, "regex")]),
    "[uri regex] matches from the start of the path": (
        {"prefix": {"paths": [r"~/prefix/[0-9]+"]}},
        [("GET", "/prefix/123", {}, "prefix"), ("GET", "/extra/prefix/123", {}, None)]),
    "[wildcard host] leftmost and rightmost": (
        {"left": {"hosts": ["*.route.com"]}, "right": {"hosts": ["route.*"]}},
        [("GET", "http://foo.route.com/", {}, "left"), ("GET", "http://route.org/", {}, "right"),
         ("GET", "http://route.org:123/", {}, "right"), ("GET", "http://foo.route.com:123/", {}, "left")]),
    "[wildcard host] with a port": (
        {"left": {"hosts": ["*.route.com"]}, "net-port": {"hosts": ["*.route.net:123"]}},
        [("GET", "http://foo.route.net:123/", {}, "net-port"), ("GET", "http://foo.route.net:124/", {}, None)]),
    "[wildcard host] does not take precedence over a plain host": (
        {"plain": {"hosts": ["plain.route.com"]}, "left": {"hosts": ["*.route.com"]},
         "right": {"hosts": ["route.*"]}, "plain-com": {"hosts": ["route.com"]}},
        [("GET", "http://route.com/", {}, "plain-com"), ("GET", "http://route.org/", {}, "right"),
         ("GET", "http://plain.route.com/", {}, "plain"), ("GET", "http://foo.route.com/", {}, "left")]),
    "[wildcard host + path] even if a similar [plain host] exists": (
        {"wild": {"hosts": ["*.route.com"], "paths": ["/path1"]},
         "plain": {"hosts": ["plain.route.com"], "paths": ["/path2"]}},
        [("GET", "http://plain.route.com/path1", {}, "wild"), ("GET", "http://plain.route.com/path2", {}, "plain")]),
    "[wildcard/plain + uri + method]": (
        {"left": {"hosts": ["*.route.com"]},
         "mixed": {"hosts": ["*.domain.com", "example.com"], "paths": ["/path"], "methods": ["GET", "TRACE"]}},
        [("POST", "http://foo.domain.com/path", {}, None), ("GET", "http://foo.domain.com/path", {}, "mixed"),
         ("TRACE", "http://example.com/path", {}, "mixed")]),
    "[wildcard host] + [uri regex]": (
        {"regex": {"hosts": ["*.example.com"], "paths": [r"~/users/\d+/profile"]},
         "prefix": {"hosts": ["*.example.com"], "paths": ["/users"]}},
        [("GET", "http://test.example.com/users/123/profile", {}, "regex"),
         ("GET", "http://test.example.com/users", {}, "prefix")]),
    "more [headers] first": (
        {"two": {"headers": {"version": ["v1", "v2"], "user-agent": ["foo", "bar"]}},
         "three": {"headers": {"version": ["v1", "v2"], "user-agent": ["foo", "bar"], "location": ["east", "west"]}}},
        [("GET", "/", {"version": "v1", "user-agent": "foo", "location": "west"}, "three")]),
    "[headers] names and values are case-insensitive": (
        {"foo": {"headers": {"USER-AGENT": ["foo", "bar"]}}, "baz": {"headers": {"user-agent": ["BAZ"]}}},
        [("GET", "/", {"user-agent": "FOO"}, "foo"), ("GET", "/", {"User-Agent": "baz"}, "baz")]),
    "[host] and [uri] have higher priority than [method]": (
        {"host": {"hosts": ["domain-1.org", "domain-2.org"]}, "method": {"methods": ["TRACE"]},
         "uri": {"paths": ["/my-route"]}},
        [("TRACE", "http://domain-2.org/", {}, "host"), ("TRACE", "http://domain.org/my-route", {}, "uri")]),
    "half [uri] and [host] match does not supersede": (
        {"h1": {"hosts": ["host1.com"], "paths": ["/v1/path"]}, "h2": {"hosts": ["host2.com"], "paths": ["/"]}},
        [("GET", "http://host1.com/v1/path", {}, "h1"), ("GET", "http://host2.com/v1/path", {}, "h2")]),
    "half [wildcard host] and [method] match does not supersede": (
        {"get": {"hosts": ["host.*"], "methods": ["GET"]}, "post": {"hosts": ["host.*"], "methods": ["POST"]}},
        [("GET", "http://host.com/", {}, "get"), ("POST", "http://host.com/", {}, "post")]),
    "half [uri regex] and [method] match does not supersede": (
        {"get": {"methods": ["GET"], "paths": [r"~/users/\d+/profile"]},
         "post": {"methods": ["POST"], "paths": [r"~/users/\d*/profile"]}},
        [("GET", "/users/123/profile", {}, "get"), ("POST", "/users/123/profile", {}, "post")]),
    "[method] does not supersede [uri prefix]": (
        {"method": {"methods": ["GET"]}, "uri": {"paths": ["/example"]}},
        [("GET", "/example", {}, "uri"), ("GET", "/example/status/200", {}, "uri")]),
    "root / acts as a catch-all and supersedes nothing": (
        {"root": {"paths": ["/"]}, "method": {"methods": ["TRACE"]}, "uri": {"paths": ["/my-route"]}},
        [("GET", "/", {}, "root"), ("GET", "/my-route/hello/world", {}, "uri"), ("GET", "/foobar/baz", {}, "root")]),
    "routes of the same category with conflicting values": (
        {**{f"same-{i}": {"hosts": ["domain.org"], "paths": ["/my-uri"]} for i in range(5)},
         "target": {"hosts": ["domain.org"], "paths": ["/my-target-uri"]}},
        [("GET", "http://domain.org/my-target-uri", {}, "target")]),
    "more [headers] beats a longer [paths]": (
        {"longer": {"headers": {"version": ["v1"]}, "paths": ["/my-route/hello"]},
         "headers": {"headers": {"version": ["v1"], "location": ["us-east"]}, "paths": ["/my-route"]}},
        [("GET", "/my-route/hello", {"version": "v1", "location": "us-east"}, "headers"),
         ("GET", "/my-route/hello/world", {"version": "v1", "location": "us-east"}, "headers")]),
    "normalized paths match plain and regex routes": (
        {"plain": {"paths": ["/plain/a.b.c"]}, "regex": {"paths": [r"~/reg%2Fex/\d+"]}},
        [("GET", "/plain/a%2Eb%2Ec", {}, "plain"), ("GET", "/plain/./a.b.c", {}, "plain"),
         ("GET", "/reg%2fex/123", {}, "regex")]),
}

# Kong's spec picks one of two equal-priority routes by route id; the model must report the tie.
TIES: dict[str, tuple[dict[str, dict[str, Any]], str, str]] = {
    "[host] with and without port (ids decide)": (
        {"any-port": {"hosts": ["domain-1.org", "domain-2.org"]}, "port": {"hosts": ["domain-1.org:321", "domain-2.org"]}},
        "http://domain-1.org:321/", "port"),
    "[method] vs [wildcard host] (ids decide)": (
        {"method": {"methods": ["GET"]}, "wild": {"hosts": ["domain.*"]}}, "http://domain.com/", "wild"),
    "[wildcard host] with and without port (ids decide)": (
        {"any": {"hosts": ["*.route.com"]}, "port": {"hosts": ["*.route.com:123"]}}, "http://a.route.com:123/", "port"),
}


def spec_of(routes: dict[str, dict[str, Any]], service_path: str | None = None) -> GatewaySpec:
    service: dict[str, Any] = {"host": "backend", "routes": routes}
    if service_path:
        service["path"] = service_path
    return GatewaySpec.model_validate({"services": {"svc": service}})


def route_for(spec: GatewaySpec, method: str, url: str, headers: dict[str, str]) -> str | None:
    """The route Kong's router picks (its unit specs: a TRACE request is routed; through nginx it never is,
    see test_trace_never_reaches_the_router)."""
    match = Router.build(spec).match(build_request(method, url, [f"{k}: {v}" for k, v in headers.items()]))
    return match.route if match else None


def test_trace_never_reaches_the_router() -> None:
    outcome = explain(Model(spec_of(SELECT_CASE)), build_request("TRACE", "http://domain.org/"), no_language)
    assert (outcome["status"], outcome["answered_by"], outcome["route"]) == (405, "nginx", None)


@pytest.mark.parametrize(("method", "url", "headers", "expected"), SELECT_REQUESTS)
def test_select_use_case(method: str, url: str, headers: dict[str, str], expected: str | None) -> None:
    assert route_for(spec_of(SELECT_CASE), method, url, headers) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_route_priority_case(name: str) -> None:
    routes, requests = CASES[name]
    spec = spec_of(routes)
    got = [route_for(spec, m, u if u.startswith("http") else f"http://domain.org{u}", h) for m, u, h, _ in requests]
    assert got == [expected for *_, expected in requests]


@pytest.mark.parametrize("name", sorted(TIES))
def test_equal_priorities_are_reported_as_ties(name: str) -> None:
    routes, url, kong_pick = TIES[name]
    outcome = explain(Model(spec_of(routes)), build_request("GET", url), no_language)
    assert outcome["route"] is not None
    picked = {outcome["route"]["route"], *(t.split("/")[1] for t in outcome["route"]["ties"])}
    assert kong_pick in picked and len(picked) == 2
    assert any("route ids" in note for note in outcome["notes"])


# --- path handling (router_path_handling_tests.lua, v0 rows) ---------------------------------------
# service path, route path (None: the route matches on its host), strip_path, request path, upstream path
PATHS: list[tuple[str, str | None, bool, str, str]] = [
    ("/", "/", False, "/route/req", "/route/req"),
    ("/", "/", True, "/route/", "/route/"),
    ("/", "/route", False, "/routereq", "/routereq"),
    ("/", "/route", True, "/route", "/"),
    ("/", "/route", True, "/route/", "/"),
    ("/", "/route", True, "/routereq", "/req"),
    ("/", "/route/", True, "/route/req", "/req"),
    ("/srv", "/rou", False, "/roureq", "/srv/roureq"),
    ("/srv", "/rou", True, "/roureq", "/srv/req"),
    ("/srv/", "/rou", False, "/rou", "/srv/rou"),
    ("/srv/", "/rou", True, "/rou", "/srv"),
    ("/service", "/", True, "/", "/service"),
    ("/service", "/", False, "/route/", "/service/route/"),
    ("/service", "/route", False, "/route", "/service/route"),
    ("/service", "/route", True, "/route", "/service"),
    ("/service", "/route", True, "/route/", "/service/"),
    ("/service", "/route", True, "/routereq", "/service/req"),
    ("/service", "/route/", True, "/route/", "/service/"),
    ("/service", "/route/", True, "/route/req", "/service/req"),
    ("/service/", "/", True, "/", "/service/"),
    ("/service/", "/", False, "/route/req", "/service/route/req"),
    ("/service/", "/route", True, "/route", "/service"),
    ("/service/", "/route", True, "/route/", "/service/"),
    ("/service/", "/route/", False, "/route/req", "/service/route/req"),
    ("/", None, True, "/route/", "/route/"),
    ("/service", None, True, "/", "/service"),
    ("/service", None, False, "/route", "/service/route"),
    ("/service/", None, True, "/route", "/service/route"),
    ("/service", "/route", True, "/route./req", "/service/req"),
    ("/service", "/route", True, "/route%2E/req", "/service/req"),
    ("/service/", "/route", True, "/route../req", "/service/req"),
    ("/service", "/route", True, "/route%2e%2E/req", "/service/req"),
    ("/service", "/route", False, "/route%2E/req", "/service/route./req"),
    ("/service/", "/route", False, "/route../req", "/service/route../req"),
]


@pytest.mark.parametrize(("service_path", "route_path", "strip", "req_path", "expected"), PATHS)
def test_upstream_path(service_path: str, route_path: str | None, strip: bool, req_path: str, expected: str) -> None:
    route: dict[str, Any] = {"strip_path": strip}
    if route_path is None:
        route["hosts"] = ["localbin.com"]
    else:
        route["paths"] = [route_path]
    spec = spec_of({"r": route}, service_path)
    outcome = explain(Model(spec), build_request("GET", f"http://localbin.com{req_path}"), no_language)
    assert outcome["upstream"] is not None
    assert outcome["upstream"]["path"] == expected
    if route_path is not None:  # the same through a regex route (Kong's second loop): "~/[0]?" + path
        regex = {**route, "paths": ["~/[0]?" + route_path[1:]]}
        outcome = explain(Model(spec_of({"r": regex}, service_path)),
                          build_request("GET", f"http://localbin.com{req_path}"), no_language)
        assert outcome["upstream"] is not None and outcome["upstream"]["path"] == expected


def test_priority_bits_follow_transform_lua() -> None:
    """get_priority: fields set (61-63), plain hosts (60), header count (52), regex (51), regex_priority
    (19), prefix length (0)."""
    plain = Route.model_validate({"hosts": ["a.com"], "paths": ["/abc"], "headers": {"x": ["1"], "y": ["2"]}})
    assert priority(plain, ("/abc",)) == (3 << 61) | (1 << 60) | (2 << 52) | 4
    regex = Route.model_validate({"paths": ["~/a"], "regex_priority": 7, "hosts": ["*.a.com"]})
    assert priority(regex, ("~/a",)) == (2 << 61) | (1 << 51) | (7 << 19)


def test_mixed_paths_split_into_one_matcher_per_group() -> None:
    """split_routes_and_services_by_path: a short and a long prefix of one route compete separately."""
    spec = spec_of({"mixed": {"paths": ["/a", "/bbbbbbb"]}, "mid": {"paths": ["/a/bb"]}})
    assert len(Router.build(spec).matchers) == 3
    assert route_for(spec, "GET", "http://d.org/a/bb/foobar", {}) == "mid"
    assert route_for(spec, "GET", "http://d.org/bbbbbbb/x", {}) == "mixed"


def test_normalize_like_kong_uri() -> None:
    assert normalize("/a/./b/../c//d") == "/a/c/d"
    assert normalize("/%7Euser/%2f") == "/~user/%2F"
