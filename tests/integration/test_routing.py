"""Routing: every ``/api/v1/<svc>`` reaches its service with the path it expects; segment boundaries hold."""

from __future__ import annotations

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration.expect import KONG_NO_ROUTE, authenticated, echo, message, target_hosts, v1_services
from integration.live import Settings

pytestmark = pytest.mark.demo


def _auth(settings: Settings, spec: GatewaySpec, service: str) -> dict[str, str]:
    return {"apikey": settings.developer_key} if authenticated(spec, service) else {}


@pytest.mark.parametrize("service", v1_services())
def test_v1_reaches_its_service_with_its_path(gw: httpx.Client, settings: Settings, spec: GatewaySpec,
                                             service: str) -> None:
    svc = spec.services[service]
    assert svc.upstream is not None
    hosts = target_hosts(spec, svc.upstream)
    for suffix in ("", "/jobs/42"):
        seen = echo(gw.get(f"/api/v1/{service}{suffix}", params={"page": "2"}, headers=_auth(settings, spec, service)))
        assert seen.path == f"{svc.path}{suffix}"
        assert seen.query == {"page": "2"}
        assert seen.method == "GET"
        assert seen.hostname in hosts, f"{service} answered by {seen.hostname}, not one of {sorted(hosts)}"


@pytest.mark.smoke
def test_post_body_reaches_backend_unchanged(gw: httpx.Client, settings: Settings) -> None:
    seen = echo(gw.post("/api/v1/pipeline/run", headers={"apikey": settings.key}, content=b"plain text body",
                        params={"x": "1"}))
    assert (seen.method, seen.path, seen.body) == ("POST", "/api/v1/pipeline/run", "plain text body")


@pytest.mark.parametrize(("path", "control"), [("/api/asrX", "/api/asr"), ("/api/v1/asrX", "/api/v1/asr"),
                                               ("/api/v1/asr-v2", "/api/v1/asr/v2"),
                                               ("/api/v1/authentication", "/api/v1/auth/entication")])
def test_segment_boundary_is_kongs_404(gw: httpx.Client, settings: Settings, path: str, control: str) -> None:
    headers = {"apikey": settings.developer_key}
    response = gw.get(path, headers=headers)
    assert response.status_code == 404, f"{path} was routed: {response.text[:200]}"
    assert message(response) == KONG_NO_ROUTE
    assert response.headers["content-type"].startswith("application/json")
    seen = echo(gw.get(control, headers=headers))  # the same service on a segment boundary routes
    assert seen.path == control.replace("/api/asr", "/api/v1/asr")


@pytest.mark.smoke
@pytest.mark.parametrize("path", ["/", "/nope", "/api/v3/asr", "/api/v1", "/api"])
def test_unknown_path_is_kongs_404(gw: httpx.Client, settings: Settings, path: str) -> None:
    response = gw.get(path, headers={"apikey": settings.developer_key})
    assert response.status_code == 404
    assert message(response) == KONG_NO_ROUTE
    assert echo(gw.get("/api/v1/auth/health")).path == "/api/v1/auth/health"  # the control routes
