"""Authentication: API keys (header or query), JWTs (with or without ``nbf``), ACL groups, forged identity."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration.conftest import Token
from integration.expect import ACL_FORBIDDEN, IDENTITY_HEADERS, UNAUTHORIZED, WWW_AUTHENTICATE, echo, message
from integration.live import Settings

pytestmark = pytest.mark.demo
NMT = {"input": [{"source": "नमस्ते"}], "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}}


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401, f"expected 401, got {response.status_code}: {response.text[:200]}"
    assert response.json() == {"message": UNAUTHORIZED}  # identity-guard's body, exactly
    assert response.headers.get("www-authenticate") == WWW_AUTHENTICATE


@pytest.mark.smoke
def test_no_credentials_is_401_with_the_documented_answer(gw: httpx.Client, settings: Settings) -> None:
    _assert_401(gw.post("/api/v1/nmt", json=NMT))
    assert echo(gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key})).path == "/api/v1/nmt"


def test_wrong_key_is_401(gw: httpx.Client, settings: Settings) -> None:
    _assert_401(gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key + "x"}))
    _assert_401(gw.post("/api/v1/nmt", json=NMT, params={"apikey": "not-a-key"}))
    assert echo(gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key})).path == "/api/v1/nmt"


@pytest.mark.parametrize("header", ["apikey", "X-API-Key"])
def test_key_in_a_header_passes_and_never_reaches_the_backend(gw: httpx.Client, settings: Settings,
                                                              header: str) -> None:
    seen = echo(gw.post("/api/v1/nmt", json=NMT, headers={header: settings.key}))
    assert seen.path == "/api/v1/nmt"
    assert "apikey" not in seen.headers and "x-api-key" not in seen.headers
    assert settings.key not in str(seen.headers)


def test_key_in_the_query_passes_and_never_reaches_the_backend(gw: httpx.Client, settings: Settings) -> None:
    seen = echo(gw.post("/api/v1/nmt", json=NMT, params={"apikey": settings.key, "keep": "me"}))
    assert seen.path == "/api/v1/nmt"
    assert seen.query == {"keep": "me"}
    assert settings.key not in str(seen.headers)


def test_asr_only_key_is_403_on_tts(gw: httpx.Client, settings: Settings) -> None:
    response = gw.post("/api/v1/tts", json=NMT, headers={"apikey": settings.asr_only_key})
    assert response.status_code == 403
    assert message(response) == ACL_FORBIDDEN
    assert echo(gw.post("/api/v1/asr", json=NMT, headers={"apikey": settings.asr_only_key})).path == "/api/v1/asr"


def test_valid_jwt_without_nbf_passes(gw: httpx.Client, token: Token) -> None:
    seen = echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": token()}))
    assert seen.path == "/api/v1/nmt"
    assert seen.header("x-consumer-username") == "web-user"


def test_jwt_with_a_past_nbf_passes_and_a_future_nbf_is_401(gw: httpx.Client, token: Token) -> None:
    now = int(time.time())
    assert echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": token(nbf=now - 60)})).path == "/api/v1/nmt"
    response = gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": token(nbf=now + 3600)})
    assert response.status_code == 401
    assert response.headers.get("www-authenticate") == WWW_AUTHENTICATE


def test_expired_or_forged_jwt_is_401(gw: httpx.Client, token: Token) -> None:
    _assert_401(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": token(exp=int(time.time()) - 60)}))
    good = token()
    head, _, _ = good.rpartition(".")
    _assert_401(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": head + ".c2lnbmF0dXJl"}))
    assert echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": good})).path == "/api/v1/nmt"


def _forged() -> dict[str, str]:
    return {name: f"forged-{name.lower()}" for name in IDENTITY_HEADERS}


def test_forged_identity_headers_never_reach_a_public_backend(gw: httpx.Client) -> None:
    seen = echo(gw.get("/api/v1/auth/me", headers=_forged()))
    assert seen.path == "/api/v1/auth/me"
    leaked = {name: seen.header(name) for name in IDENTITY_HEADERS if seen.header(name) is not None}
    assert leaked == {}


def test_forged_identity_headers_are_replaced_on_an_authenticated_route(gw: httpx.Client, settings: Settings) -> None:
    seen = echo(gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key, **_forged()}))
    assert not [name for name in IDENTITY_HEADERS if (seen.header(name) or "").startswith("forged-")]
    assert seen.header("x-consumer-username") == "ai4voice-client"  # set by key-auth, not the client
    assert seen.header("x-consumer-groups") is None  # acl hide_groups_header


def _spelled(name: str) -> str:
    """How nginx's ``$http_*`` (and so ``kong.request.get_header``) compares header names."""
    return name.lower().replace("_", "-")


def test_identity_and_language_headers_spelled_with_underscores_never_reach_a_backend(
        gw: httpx.Client, spec: GatewaySpec, token: Token) -> None:
    """Issue 22 item 14: Kong sets ``underscores_in_headers on`` and ``clear_header`` matches ``_`` and ``-``
    exactly, so a client's ``X-Consumer_Groups`` or ``X-Client_Identity`` passed identity-guard (and
    ``X-Detected_Language`` language-router). None reaches a backend, on a public route (identity-guard's
    clear path) or an authenticated one, and the rate-limit bucket stays the user's."""
    guard, router = spec.plugins.get("identity-guard"), spec.services["nmt"].plugins.get("language-router")
    assert guard is not None and router is not None
    owned = guard.config.sets_headers() | router.config.sets_headers()
    # the spellings: the last `-` as `_` (X-Consumer_Groups), and every `-` as `_`
    forged = {**{name[::-1].replace("-", "_", 1)[::-1]: "forged" for name in owned},
              **{name.replace("-", "_").upper(): "forged" for name in owned}}
    assert "x-consumer_groups" in forged and "x-client_identity" in forged and "x-detected_language" in forged

    def leaked(seen_headers: dict[str, str], names: set[str]) -> dict[str, str]:
        return {k: v for k, v in seen_headers.items() if "_" in k and _spelled(k) in names}

    public = echo(gw.get("/api/v1/auth/me", headers=forged))
    assert leaked(public.headers, guard.config.sets_headers()) == {}

    auth = token(f"underscore-{uuid.uuid4().hex[:8]}")
    counts = []
    for victim in ("victim-1", "victim-2"):
        response = gw.post("/api/v1/nmt", json=NMT,
                           headers={"Authorization": auth, **forged, "X-Client_Identity": victim})
        seen = echo(response)
        assert leaked(seen.headers, owned) == {}
        assert seen.header("x-client-identity") not in (None, "forged", victim)
        assert seen.header("x-detected-language") == "hi" and seen.header("x-language-source") != "forged"
        counts.append(int(response.headers["ratelimit-remaining"]))
        time.sleep(0.05)  # for Kong's rate-limiting, which counts in a timer after the request (handler.lua)
    # one countdown, the user's: a forged identity would have opened a fresh bucket each time
    assert counts[1] < counts[0], f"the forged identity chose the bucket: {counts}"


def test_auth_service_needs_no_key_and_receives_x_api_key(gw: httpx.Client, settings: Settings) -> None:
    seen = echo(gw.post("/api/v1/auth/login", json={"user": "u"}))
    assert seen.path == "/api/v1/auth/login"
    with_key = echo(gw.get("/api/v1/auth/token", headers={"X-API-Key": settings.key}))
    assert with_key.header("x-api-key") == settings.key  # docs/SECURITY.md, 13: the auth service's own exchange
    assert with_key.header("x-gateway") == "ai4v-gateway"
