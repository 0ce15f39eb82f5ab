"""docs/SECURITY.md on a live stack: CORS, no version disclosure, HTTPS only, bodies, client address, logs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from gateway.spec import GatewaySpec
from gateway.stack.settings import read_stack_settings
from integration import faults
from integration.expect import KONG_NO_ROUTE, UNAUTHORIZED, cors_origins, echo, message, v1_services
from integration.live import ROOT, Settings

NMT = {"input": [{"source": "नमस्ते"}], "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}}


def _preflight(gw: httpx.Client, path: str, origin: str) -> httpx.Response:
    return gw.request("OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "Content-Type,X-API-Key"})


@pytest.mark.smoke
@pytest.mark.parametrize("service", v1_services())
def test_preflight_from_an_allowed_origin_passes_without_credentials(gw: httpx.Client, spec: GatewaySpec,
                                                                   service: str) -> None:
    for origin in cors_origins(spec):
        response = _preflight(gw, f"/api/v1/{service}", origin)
        assert response.status_code == 200, f"{service}: {response.status_code} {response.text[:200]}"
        assert response.headers.get("access-control-allow-origin") == origin
        assert response.headers.get("access-control-allow-credentials") == "true"
        assert "POST" in response.headers.get("access-control-allow-methods", "")


def test_preflight_from_another_origin_is_not_allowed(gw: httpx.Client, spec: GatewaySpec) -> None:
    """A browser reads ``Access-Control-Allow-Origin`` as a grant only when it is the page's origin or ``*``.
    With several origins Kong's cors sends none to another origin; with one plain origin it sends that
    origin to everyone (kong/plugins/cors/handler.lua ``configure_origin``): either way, not a grant."""
    foreign = "https://evil.example"
    response = _preflight(gw, "/api/v1/asr", foreign)
    granted = response.headers.get("access-control-allow-origin")
    assert granted not in (foreign, "*"), f"another origin was allowed: {granted}"
    allowed = cors_origins(spec)[0]
    assert _preflight(gw, "/api/v1/asr", allowed).headers.get("access-control-allow-origin") == allowed


@pytest.mark.smoke
@pytest.mark.demo
def test_no_version_disclosure(gw: httpx.Client, settings: Settings) -> None:
    responses = [gw.get("/api/v1/auth"), gw.get("/nope"), gw.post("/api/v1/nmt", json=NMT),
                 gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key})]
    echo(responses[0])
    assert message(responses[1]) == KONG_NO_ROUTE
    assert message(responses[2]) == UNAUTHORIZED
    echo(responses[3])
    for response in responses:
        assert "kong" not in response.headers.get("server", "").lower()
        assert "via" not in response.headers
        assert not [h for h in response.headers if h.lower().startswith("x-kong-")]


def test_https_only_as_the_stack_says(settings: Settings, spec: GatewaySpec) -> None:
    https_only = spec.edge.https_only
    if https_only is None:  # dev: plain HTTP serves, without HSTS
        response = httpx.get(f"{settings.http_urls[0]}/api/v1/auth/health", timeout=30)
        if settings.demo_backends:
            assert echo(response).path == "/api/v1/auth/health"
        assert response.status_code < 400
        assert "strict-transport-security" not in response.headers
        return
    response = httpx.get(f"{settings.http_urls[0]}/api/v1/asr", timeout=30)
    assert response.status_code == https_only
    secure = httpx.get(f"{settings.proxy_url}/api/v1/auth/health", timeout=30, verify=settings.verify_tls)
    assert secure.headers.get("strict-transport-security") == f"max-age={spec.edge.hsts_max_age}"


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    block = b"0" * size
    for _ in range(total // size):
        yield block


def test_unauthenticated_body_is_refused_before_it_is_read(gw: httpx.Client, settings: Settings,
                                                           spec: GatewaySpec) -> None:
    too_big = spec.edge.max_body_size + (10 << 20)
    response = gw.post("/api/v1/asr", content=_chunks(too_big), headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 401
    assert message(response) == UNAUTHORIZED
    over = gw.post("/api/v1/asr", content=b"0" * too_big,
                   headers={"apikey": settings.key, "Content-Type": "application/octet-stream"})
    assert over.status_code == 413, f"an authenticated body over {spec.edge.max_body_size} bytes: {over.status_code}"


@pytest.mark.demo
def test_forwarded_for_is_ignored_without_trusted_ips(gw: httpx.Client, settings: Settings) -> None:
    if read_stack_settings(ROOT, settings.stack).trusted_ips:
        pytest.skip("the stack trusts a balancer (trustedIps); run this from outside those addresses by hand")
    seen = echo(gw.get("/api/v1/auth/ip", headers={"X-Forwarded-For": "1.2.3.4", "X-Real-IP": "1.2.3.4"}))
    assert seen.header("x-real-ip") not in (None, "1.2.3.4")


@pytest.mark.processes
def test_logs_of_every_kong_node_hold_no_key(nodes: list[httpx.Client], settings: Settings) -> None:
    marker = f"/api/v1/nmt/itest-{uuid.uuid4().hex[:8]}"
    for client in nodes:
        assert client.post(marker, json=NMT, params={"apikey": settings.key}).status_code < 500
        assert client.post(marker, json=NMT, params={"jwt": "x"}, headers={"X-API-Key": settings.key}).status_code < 500
    for index in range(1, len(nodes) + 1):
        text = faults.logs_showing(settings, index, marker)
        assert marker in text, f"kong-{index}: the access log does not show the request at all"
        assert settings.key not in text, f"kong-{index}: an API key is in its logs"


@pytest.mark.processes
def test_access_log_is_json_without_query_string(gw: httpx.Client, settings: Settings) -> None:
    import json

    marker = f"/api/v1/auth/itest-{uuid.uuid4().hex[:8]}"
    assert gw.get(marker, params={"apikey": "secret-in-query", "x": "1"}).status_code < 500
    faults.logs_showing(settings, 1, marker)
    access = faults.node_stdout(settings, 1)
    lines = [line for line in access.splitlines() if marker in line]
    assert lines, "the access log (stdout) has no line for the request"
    entry = json.loads(lines[-1])
    assert entry["path"] == marker and entry["method"] == "GET"
    assert "secret-in-query" not in faults.node_logs(settings, 1)


@pytest.mark.processes
def test_access_log_shows_kong_error_handler_for_nginx_errors(gw: httpx.Client, settings: Settings) -> None:
    """Issue 22 item 18: a request nginx answers itself (TRACE: 405) goes through Kong's ``error_page``
    (kong/templates/nginx_kong.lua) to ``/kong_error_handler``, so the access log's ``path`` (``$uri``) says
    ``/kong_error_handler`` and ``method`` GET (docs/SECURITY.md section 7)."""
    import json

    marker = f"itest-{uuid.uuid4().hex[:8]}"
    assert gw.request("TRACE", "/api/v1/auth/health", headers={"X-Correlation-Id": marker}).status_code == 405
    faults.logs_showing(settings, 1, marker)
    lines = [line for line in faults.node_stdout(settings, 1).splitlines() if marker in line]
    assert lines, "the access log (stdout) has no line for the request"
    entry = json.loads(lines[-1])
    assert (entry["path"], entry["method"], entry["status"]) == ("/kong_error_handler", "GET", "405")
