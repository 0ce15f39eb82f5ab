"""The real router is the oracle for ``explain``: the same requests go to a real Kong 3.9.3 (a local gateway,
tests/local_gateway) and to ``explain``, and the two must agree on the route, the status, the upstream, the
upstream path and query, and what the plugins leave that shows: auth and ACL answers, the consumer and
language headers the backend receives, the rate-limit headers, the response headers.

The requests: every router case ported from Kong's own specs (tests/test_explain_router.py: the shared
``select()`` use case, the priority cases, the ties, the path-handling table), each loaded into a DB-less Kong
(``POST /config``); then the written-down traffic cases (tests/traffic/) and the generated corpus over the
dev spec (gateway/explain/corpus.py), against the dev stack's own config. Kong names the route it matched
when asked (``allow_debug_header`` on these test gateways, request header ``Kong-Debug: 1``). Each request
comes from a loopback address of its own, so no client-address budget (rate-limiting by ip, the flood guard)
is shared; consumer budgets are kept under their limits by counting explain's buckets.

What is left of the differences is listed in ``DIFFERENCES`` (and in docs/EXPLAIN.md): each must still
show, so the list stays true.
"""

from __future__ import annotations

import itertools
import json
import os
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from integration.live import hs256_token
from local_gateway import gateway, kong_install
from local_gateway.admin_api import AdminApi
from local_gateway.entities import post_config
from test_explain_router import CASES, PATHS, SELECT_CASE, SELECT_REQUESTS, TIES, spec_of

from gateway.docs.limits import limits_table
from gateway.docs.routes import route_rows
from gateway.explain.corpus import generate, load_cases, sample_bodies
from gateway.explain.engine import Model, credential_slot, explain, no_language
from gateway.explain.lua_runner import LuaRunner
from gateway.explain.outcome import Outcome
from gateway.explain.request import Request, build_request
from gateway.explain.router import sample_path
from gateway.kong import declarative
from gateway.kong.scope import effective_plugins
from gateway.spec import GatewaySpec

ROOT = Path(__file__).resolve().parent.parent
DEBUG_SETTINGS = {"KONG_ALLOW_DEBUG_HEADER": "on"}
"""The one setting these gateways add to the stack's: Kong names the matched route when asked."""
ECHO_TARGET = ("auth-service", 8081)
"""The router cases' service: an echo backend of the dev gateway."""
CORPUS_SAMPLE = 400
"""Requests of the generated corpus sent (every k-th, in the corpus's stable order)."""
BUDGET_MARGIN = 2
OWNED_HEADERS = ("x-consumer-id", "x-consumer-custom-id", "x-consumer-username", "x-credential-identifier",
                 "x-anonymous-consumer", "x-client-identity", "x-language-source", "x-detected-language",
                 "x-language-confidence", "x-detected-script", "x-gateway")
"""Headers the gateway sets upstream: present on one side only is a difference too."""


@dataclass(frozen=True)
class Observed:
    status: int
    route: str | None
    headers: httpx.Headers
    echo: dict[str, Any] | None


_SOURCES = (f"127.88.{i // 250}.{i % 250 + 1}" for i in itertools.count())
_TLS = ssl.create_default_context()
"""Shared: a context per transport would load the CA bundle for every request (plain HTTP uses none)."""


def send(proxy: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> Observed:
    """One request exactly as given (raw request target), from a loopback address of its own."""
    transport = httpx.HTTPTransport(local_address=next(_SOURCES), verify=_TLS)
    with httpx.Client(transport=transport, base_url=proxy, timeout=60) as client:
        request = client.build_request(method, "/", headers=[*headers, ("Kong-Debug", "1")], content=body,
                                       extensions={"target": target.encode()})
        response = client.send(request)
    data = None
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            data = response.json()
        except json.JSONDecodeError:
            data = None
    echo = data if isinstance(data, dict) and isinstance(data.get("os"), dict) and "path" in data else None
    return Observed(response.status_code, response.headers.get("kong-route-name"), response.headers, echo)


@pytest.fixture(scope="module")
def dev_gateway(kong: kong_install.KongInstall) -> Iterator[gateway.State]:
    with gateway.gateway("dev", "dbless", kong, name=f"pytest-{os.getpid()}-explain",
                         kong_settings=DEBUG_SETTINGS) as state:
        yield state


@pytest.fixture(scope="module")
def router_kong(kong: kong_install.KongInstall) -> Iterator[gateway.State]:
    """A second DB-less gateway whose config each router case replaces."""
    with gateway.gateway("dev", "dbless", kong, name=f"pytest-{os.getpid()}-router",
                         kong_settings=DEBUG_SETTINGS) as state:
        yield state


# --- comparing one outcome with what Kong did --------------------------------------------------------------

def _placeholder(value: str) -> bool:
    return "<" in value and ">" in value


def _hosts(targets: list[str]) -> set[str]:
    return {t.rsplit(":", 1)[0].split(".")[0] for t in targets}


def compare(outcome: Outcome, seen: Observed, *, targets: bool = True) -> list[str]:
    """What explain said and Kong did differently, one line each (``targets=False``: Kong's service was
    pointed at an echo backend, so who served is not compared)."""
    out: list[str] = []
    route = outcome["route"]
    want_route = route["route"] if route else None
    ties = {t.split("/")[-1] for t in route["ties"]} if route else set()
    if seen.route != want_route and seen.route not in ties and outcome["status"] not in (405, 413):
        out.append(f"route: explain {want_route}, Kong {seen.route}")
    if outcome["status"] is not None:
        if seen.status != outcome["status"]:
            out.append(f"status: explain {outcome['status']} ({outcome['answered_by']}), Kong {seen.status}")
        return out
    if seen.echo is None:
        return [*out, f"status: explain proxied, Kong {seen.status}"]
    upstream = outcome["upstream"]
    assert upstream is not None
    hostname = str(seen.echo["os"]["hostname"])
    if targets and hostname not in _hosts(upstream["targets"]):
        out.append(f"upstream: explain {upstream['host']} {upstream['targets']}, Kong served by {hostname}")
    if seen.echo["path"] != upstream["path"]:
        out.append(f"upstream path: explain {upstream['path']}, Kong {seen.echo['path']}")
    query = Counter(parse_qsl(upstream["query"], keep_blank_values=True))
    got = Counter((k, v) for k, vs in seen.echo["query"].items() for v in (vs if isinstance(vs, list) else [vs]))
    if query != got and not any(_placeholder(v) for _, v in query):
        out.append(f"upstream query: explain {dict(query)}, Kong {dict(got)}")
    echoed = {str(k).lower(): str(v) for k, v in seen.echo["headers"].items()}
    for name, value in upstream["headers"].items():
        if name.lower() not in echoed:
            out.append(f"upstream header {name}: explain {value!r}, Kong absent")
        elif not _placeholder(value) and echoed[name.lower()] != value:
            out.append(f"upstream header {name}: explain {value!r}, Kong {echoed[name.lower()]!r}")
    modelled = {name.lower() for name in upstream["headers"]}
    out += [f"upstream header {name}: explain absent, Kong {echoed[name]!r}" for name in OWNED_HEADERS
            if name in echoed and name not in modelled]
    for name, value in outcome["response_headers"].items():
        if name.lower() not in seen.headers:
            out.append(f"response header {name}: explain {value!r}, Kong absent")
        elif not _placeholder(value) and seen.headers[name] != value:
            out.append(f"response header {name}: explain {value!r}, Kong {seen.headers[name]!r}")
    for bucket in outcome["buckets"]:
        for window, limit in bucket["limits"].items():
            header = f"x-ratelimit-limit-{window}"
            if seen.headers.get(header) != str(limit):
                out.append(f"rate limit {window}: explain {limit}, Kong {seen.headers.get(header)}")
    return out


# --- the router cases, each in a Kong of its own config ----------------------------------------------------

@dataclass
class RouterCase:
    name: str
    spec: GatewaySpec
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    """(method, absolute URL, headers)."""


def router_cases() -> list[RouterCase]:
    cases = [RouterCase("select() use case", spec_of(SELECT_CASE), [(m, u, h) for m, u, h, _ in SELECT_REQUESTS])]
    for name, (routes, requests) in sorted(CASES.items()):
        cases.append(RouterCase(name, spec_of(routes), [
            (m, u if u.startswith("http") else f"http://domain.org{u}", h) for m, u, h, _ in requests]))
    for name, (routes, url, _) in sorted(TIES.items()):
        cases.append(RouterCase(name, spec_of(routes), [("GET", url, {})]))
    return cases


def path_case(regex: bool) -> RouterCase:
    """The path-handling table in one config: row i is a service of its own, its route told apart by host."""
    services: dict[str, Any] = {}
    case = RouterCase(f"path handling ({'regex' if regex else 'prefix'} routes)", spec_of({}))
    for index, (service_path, route_path, strip, req_path, _) in enumerate(PATHS):
        if regex and route_path is None:
            continue
        route: dict[str, Any] = {"strip_path": strip, "hosts": [f"row-{index}.test"]}
        if route_path is not None:
            route["paths"] = ["~/[0]?" + route_path[1:]] if regex else [route_path]
        services[f"s{index}"] = {"host": "backend", "path": service_path, "routes": {f"r{index}": route}}
        case.requests.append(("GET", f"http://row-{index}.test{req_path}", {}))
    case.spec = GatewaySpec.model_validate({"services": services})
    return case


def _load(state: gateway.State, spec: GatewaySpec) -> None:
    document = declarative.render(spec, "router-case")
    for service in document["services"]:
        service["host"], service["port"] = ECHO_TARGET
    outputs = state.outputs()
    admin = AdminApi(outputs["adminUrl"])
    try:
        post_config(admin, outputs["proxyUrls"], document)
    finally:
        admin.close()


def _router_request(proxy: str, method: str, url: str, headers: dict[str, str]) -> Observed:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return send(proxy, method, target, [("Host", parts.netloc), *headers.items()], None)


def test_router_cases_agree_with_kong(router_kong: gateway.State) -> None:
    proxy = router_kong.outputs()["proxyUrls"][0]
    differences: list[str] = []
    count = named = disagree = 0
    for case in [*router_cases(), path_case(False), path_case(True)]:
        _load(router_kong, case.spec)
        model = Model(case.spec)
        for method, url, headers in case.requests:
            outcome = explain(model, build_request(method, url, [f"{k}: {v}" for k, v in headers.items()]),
                              no_language)
            seen = _router_request(proxy, method, url, headers)
            found = compare(outcome, seen, targets=False)
            count, named, disagree = count + 1, named + (seen.route is not None), disagree + bool(found)
            differences += [f"{case.name}: {method} {url}: {line}" for line in found]
    print(f"router cases: {count} requests ({named} routed by Kong), {count - disagree} agree")
    assert count >= 140 and named >= 120
    assert differences == [], "\n".join(differences)


DISABLED_ROUTE_INSTANCE = {"services": {"svc": {
    "host": "backend",
    "plugins": {"rate-limiting": {"config": {"minute": 7, "limit_by": "ip"}}},
    "routes": {"limited": {"paths": ["/limited"],
                           "plugins": {"rate-limiting": {"enabled": False, "config": {"minute": 3, "limit_by": "ip"}}}}},
}}}


@pytest.mark.parametrize("plugin", ["rate-limiting", "rate-limiting-inline"])
def test_disabled_route_instance_leaves_service_instance_in_effect(router_kong: gateway.State, plugin: str) -> None:
    """Issue 22 item 17: Kong loads only enabled instances (plugins_iterator.lua ``should_process_plugin``), so a
    disabled route-level rate-limiting leaves the service's in effect; the resolver, the routes and rate-limit
    tables and explain say the limit Kong applies. Issue 23 item 2: the same with rate-limiting-inline."""
    spec = GatewaySpec.model_validate(json.loads(json.dumps(DISABLED_ROUTE_INSTANCE).replace('"rate-limiting"',
                                                                                             json.dumps(plugin))))
    _load(router_kong, spec)
    seen = _router_request(router_kong.outputs()["proxyUrls"][0], "GET", "http://localhost/limited", {})
    assert (seen.status, seen.route) == (200, "limited")
    kong_limit = seen.headers.get("x-ratelimit-limit-minute")
    assert kong_limit == "7", f"Kong applies {kong_limit}/minute"

    [(loc, entry)] = [found for name, found in effective_plugins(spec, "svc", "limited").items()
                      if name == plugin]
    assert (loc, f"{entry.config.minute:g}") == (("services", "svc", "plugins"), kong_limit)
    [row] = route_rows(spec)
    assert row.limits == f"{kong_limit}/minute per ip (local)"
    assert f"| {plugin} | service svc | 1 of 1 routes | {kong_limit}/minute | ip |" in limits_table(spec)
    outcome = explain(Model(spec), build_request("GET", "http://localhost/limited"), no_language)
    assert [bucket["limits"] for bucket in outcome["buckets"]] == [{"minute": int(kong_limit)}]
    assert compare(outcome, seen, targets=False) == []


# --- the dev stack: traffic cases and the generated corpus ------------------------------------------------

@pytest.fixture(scope="module")
def lua() -> Iterator[Callable[..., Any]]:
    with LuaRunner(ROOT / "lua") as runner:
        yield lambda call: runner.run([call])[0]


PATH_VARIANTS: dict[str, Callable[[str], str]] = {
    "trailing slash": lambda p: p + "/",
    "sub-path": lambda p: p + "/sub/path",
    "upper case": str.upper,
    "doubled slash": lambda p: p.replace("/", "//", 2),
    "dot segment": lambda p: p.replace("/api/", "/api/./", 1),
    "encoded letter": lambda p: p[:-1] + f"%{ord(p[-1]):02X}",
    "encoded slash": lambda p: p.replace("/", "%2F", 2).replace("%2F", "/", 1),
    "segment prefix": lambda p: p + "x",
}
"""What clients send around a route's path: where the router's normalisation and prefix rules decide."""


def path_variants(spec: GatewaySpec) -> list[tuple[str, Request]]:
    key = next(f"{name}/{cred}" for name, c in spec.consumers.items() for cred in c.keyauth_credentials
               if "developer" in name)
    paths = sorted({sample_path(p) or "/" for _, _, r in spec.routes() for p in r.paths or ["/"]})
    return [(f"path variant ({how}) of {path}", build_request("GET", variant(path), ["Host: localhost"],
                                                              credential=key))
            for path in paths for how, variant in PATH_VARIANTS.items()]


def dev_requests(spec: GatewaySpec) -> list[tuple[str, Request]]:
    bodies = sample_bodies(ROOT)
    written = [(f"traffic: {case.name}", case.request.build(bodies)) for _, f in load_cases(ROOT / "tests" / "traffic")
               if f.stack == "dev" for case in f.cases]
    corpus = generate([spec], bodies)
    step = max(1, len(corpus) // CORPUS_SAMPLE)
    return written + path_variants(spec) + [(f"corpus #{i}", r) for i, r in enumerate(corpus) if i % step == 0]


def real_headers(model: Model, outcome: Outcome, request: Request, state: gateway.State) -> tuple[
        list[tuple[str, str]], str] | None:
    """The request's headers and target with the credential's real secret where explain put its marker;
    None for a credential that cannot be presented (an RS256 key: no secret to sign with)."""
    headers, target = list(request.headers), request.url()
    cred, route = request.credential, outcome["route"]
    if cred is None or route is None:
        return headers, target
    slot = credential_slot(model, cred, route["service"], route["route"])
    outputs = state.outputs()
    consumer = model.spec.consumers[cred.consumer]
    if slot.kind == "key":
        secret = outputs["consumerKeys"][f"{cred.consumer}/{cred.name}"]
    else:
        jwt = consumer.jwt_secrets[cred.name]
        signing = outputs["consumerJwtSecrets"].get(f"{cred.consumer}/{jwt.key}")
        if signing is None:
            return None
        secret = hs256_token(signing, {"iss": jwt.key, "exp": int(time.time()) + 600})
    if slot.where == "header":
        return [*headers, (slot.name, slot.value(secret))], target
    return headers, f"{target}{'&' if '?' in target else '?'}{slot.name}={slot.value(secret)}"


def within_budget(outcome: Outcome, used: Counter[str]) -> bool:
    """Count the request in its consumer buckets unless one would come near its limit (explain models no
    counters). A client-address bucket never fills: every request has its own address."""
    buckets = [b for b in outcome["buckets"] if not b["identifier"].startswith("ip")]
    if any(used[b["key"]] + BUDGET_MARGIN >= min(b["limits"].values()) for b in buckets):
        return False
    used.update(b["key"] for b in buckets)
    return True


def test_dev_traffic_agrees_with_kong(dev_gateway: gateway.State, lua: Callable[..., Any]) -> None:
    model = Model(dev_gateway.spec)
    proxy = dev_gateway.outputs()["proxyUrls"][0]
    used: Counter[str] = Counter()
    differences: list[str] = []
    sent = disagree = 0
    for label, request in dev_requests(model.spec):
        outcome = explain(model, request, lua)
        real = real_headers(model, outcome, request, dev_gateway)
        if real is None or not within_budget(outcome, used):
            continue
        headers, target = real
        found = compare(outcome, send(proxy, request.method, target, headers, request.body))
        sent, disagree = sent + 1, disagree + bool(found)
        differences += [f"{label}: {request.method} {request.url()}: {line}" for line in found]
    print(f"dev traffic: {sent} requests, {sent - disagree} agree")
    assert sent >= 200
    assert differences == [], "\n".join(differences)


def test_compare_reports_what_differs() -> None:
    """The comparison itself, without Kong: an answer that differs in each compared respect is reported."""
    spec = GatewaySpec.model_validate({
        "upstreams": {"up": {"targets": [{"target": "echo-a:8080"}]}},
        "services": {"svc": {"upstream": "up", "path": "/v1", "routes": {"r": {"paths": ["/r"]}}}},
    })
    outcome = explain(Model(spec), build_request("GET", "/r/x?a=1"), no_language)
    right = {"os": {"hostname": "echo-a"}, "path": "/v1/x", "query": {"a": "1"}, "headers": {}}
    assert compare(outcome, Observed(200, "r", httpx.Headers(), right)) == []
    wrong = {"os": {"hostname": "echo-b"}, "path": "/v1/y", "query": {}, "headers": {"x-consumer-id": "c"}}
    assert compare(outcome, Observed(200, "other", httpx.Headers(), wrong)) == [
        "route: explain r, Kong other",
        "upstream: explain up ['echo-a:8080'], Kong served by echo-b",
        "upstream path: explain /v1/x, Kong /v1/y",
        "upstream query: explain {('a', '1'): 1}, Kong {}",
        "upstream header x-consumer-id: explain absent, Kong 'c'",
    ]
    assert compare(outcome, Observed(404, None, httpx.Headers(), None)) == [
        "route: explain r, Kong None", "status: explain proxied, Kong 404"]
