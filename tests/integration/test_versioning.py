"""Versions: v1, v2, the unversioned default and ``X-API-Version: v2`` are routes of one service per family."""

from __future__ import annotations

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration.expect import UNAUTHORIZED, echo, message, target_hosts, v2_families
from integration.live import Settings

pytestmark = pytest.mark.demo
FAMILIES = v2_families()
JSON = {"Content-Type": "application/json"}
BODY = {"config": {"language": {"sourceLanguage": "hi"}}, "input": [{"source": "नमस्ते"}]}


@pytest.mark.parametrize("family", FAMILIES)
def test_v2_path_reaches_the_v2_api(gw: httpx.Client, settings: Settings, spec: GatewaySpec, family: str) -> None:
    for suffix in ("", "/jobs/7"):
        seen = echo(gw.post(f"/api/v2/{family}{suffix}", params={"page": "3"}, json=BODY,
                            headers={"apikey": settings.key}))
        assert seen.path == f"/api/v2/{family}{suffix}"
        assert seen.query == {"page": "3"}, "the query string survives the rewrite"
        assert seen.hostname in set().union(*(target_hosts(spec, u) for u in spec.upstreams if u.startswith(family)))


@pytest.mark.parametrize("family", FAMILIES)
def test_unversioned_path_is_v1(gw: httpx.Client, settings: Settings, family: str) -> None:
    seen = echo(gw.post(f"/api/{family}", json=BODY, headers={"X-API-Key": settings.key}))
    assert seen.path == f"/api/v1/{family}"
    assert echo(gw.post(f"/api/{family}/jobs", json=BODY, headers={"X-API-Key": settings.key})).path == \
        f"/api/v1/{family}/jobs"


@pytest.mark.smoke
@pytest.mark.parametrize("family", FAMILIES)
def test_x_api_version_v2_selects_v2(gw: httpx.Client, settings: Settings, family: str) -> None:
    seen = echo(gw.post(f"/api/{family}/jobs", json=BODY, headers={"X-API-Key": settings.key, "X-API-Version": "v2"}))
    assert seen.path == f"/api/v2/{family}/jobs"
    other = echo(gw.post(f"/api/{family}", json=BODY, headers={"X-API-Key": settings.key, "X-API-Version": "v3"}))
    assert other.path == f"/api/v1/{family}", "an unknown version is the default (v1)"


@pytest.mark.parametrize("family", FAMILIES)
def test_v2_needs_credentials_and_strips_them(gw: httpx.Client, settings: Settings, family: str) -> None:
    response = gw.post(f"/api/v2/{family}", json=BODY)
    assert response.status_code == 401
    assert message(response) == UNAUTHORIZED
    seen = echo(gw.post(f"/api/v2/{family}", json=BODY, params={"apikey": settings.key},
                        headers={"X-API-Key": settings.key}))
    assert settings.key not in str(seen.headers) and settings.key not in str(seen.query)
