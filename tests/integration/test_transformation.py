"""Transformations: the correlation id, the headers the gateway adds, and what it removes."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qsl, quote

import httpx
import pytest

from integration import faults
from integration.conftest import Token
from integration.expect import ASR_WHISPER, asr_body, echo
from integration.live import Settings

pytestmark = pytest.mark.demo
NMT = {"input": [{"source": "hello"}], "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}}
FRESH_CONNECTIONS = 8
"""Requests each on a connection of its own: with ``reuseport`` they reach the node's workers in turn."""
UUID_COUNTER = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}#\d+$")  # uuid#counter


@pytest.mark.smoke
def test_correlation_id_is_generated_and_echoed(gw: httpx.Client, settings: Settings) -> None:
    response = gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key})
    seen = echo(response)
    sent = seen.header("x-correlation-id")
    assert sent is not None and UUID_COUNTER.match(sent), sent
    assert response.headers.get("x-correlation-id") == sent


def test_client_correlation_id_is_kept(gw: httpx.Client, settings: Settings) -> None:
    mine = f"itest-{uuid.uuid4()}"
    response = gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key, "X-Correlation-ID": mine})
    assert echo(response).header("x-correlation-id") == mine
    assert response.headers.get("x-correlation-id") == mine


@pytest.mark.parametrize("path", ["/api/v1/nmt", "/api/v2/nmt", "/api/v1/auth/token"])
def test_gateway_headers_are_added(gw: httpx.Client, settings: Settings, path: str) -> None:
    response = gw.post(path, json=NMT, headers={"apikey": settings.key})
    seen = echo(response)
    assert seen.header("x-gateway") == "ai4v-gateway"  # request-transformer (plugin_defaults)
    assert response.headers.get("x-served-by") == "ai4v-gateway"  # response-transformer
    assert response.headers.get("x-gateway-version") == "1.0.0"


def test_credentials_are_removed_before_the_backend(gw: httpx.Client, settings: Settings) -> None:
    seen = echo(gw.post("/api/v1/nmt", json=NMT, params={"apikey": settings.key, "jwt": "abc", "page": "1"},
                        headers={"X-API-Key": settings.key}))
    assert seen.query == {"page": "1"}
    assert "x-api-key" not in seen.headers and "apikey" not in seen.headers


@pytest.mark.destructive
@pytest.mark.processes
def test_query_edits_reach_the_backend_on_each_workers_first_request(gw: httpx.Client, settings: Settings) -> None:
    """A worker's first request that changes the query kept its old query on the way out, while every later
    one was right: identity-guard's removal of a ``jwt`` argument, and language-router's ``?serviceId=`` for a
    body it does not rewrite (the model of a large upload lost). Kong reads ``$args`` through its variable
    index until a worker first calls ``ngx.req.set_uri_args`` (lua-kong-nginx-module
    lualib/resty/kong/var.lua ``patch_functions``); see identity-guard's ``strip_query``. Each case right after
    a reload, so that every request is some worker's first of its kind."""
    close = {"apikey": settings.key, "Connection": "close"}
    large = asr_body("en", 512 * 1024)  # above language-router's 64 KiB rewrite limit: the model goes as a query

    def credentials() -> dict[str, str]:
        return echo(gw.post("/api/v1/nmt", json=NMT, params={"apikey": settings.key, "jwt": "abc", "page": "1"},
                            headers=close)).query

    def model(params: dict[str, str]) -> dict[str, str]:
        return echo(gw.post("/api/v1/asr", content=large, params=params, timeout=60,
                            headers={**close, "Content-Type": "application/vnd.ai4v+json"})).query

    cases = [
        (credentials, {"page": "1"}),
        (lambda: model({"page": "1", "serviceId": "mine"}), {"page": "1", "serviceId": ASR_WHISPER}),
        (lambda: model({}), {"serviceId": ASR_WHISPER}),
    ]
    for send, expected in cases:
        faults.reload_kong(settings, 1)
        assert [send() for _ in range(FRESH_CONNECTIONS)] == [expected] * FRESH_CONNECTIONS


def test_upstream_sees_the_language_headers(gw: httpx.Client, settings: Settings) -> None:
    seen = echo(gw.post("/api/v1/nmt", json=NMT, headers={"apikey": settings.key}))
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("hi", "body")
    assert seen.header("x-language-confidence") == "1.00"


def _as_sent(query: str) -> list[tuple[str, str | list[str]]]:
    """The echo backend's ``query`` for ``query`` as sent, in order (Express's ``req.query``)."""
    out: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        old = out.get(name)
        out[name] = value if old is None else [*(old if isinstance(old, list) else [old]), value]
    return list(out.items())


def test_query_strings_reach_the_backend_as_sent_and_only_the_key_goes(gw: httpx.Client, settings: Settings,
                                                                         token: Token) -> None:
    """Issue 22 item 15: a request-transformer with any querystring entry rebuilds every query it sees
    (kong/plugins/request-transformer/access.lua ``transform_querystrings``: the first 100 arguments, sorted,
    re-encoded). The query reaches the backend as sent, order and every argument kept; a credential in it is
    still removed (key-auth's ``hide_credentials``, else identity-guard: a token, or a key beside a JWT)."""
    key = quote(settings.key, safe="")
    many = "&".join(f"p{i}={i}" for i in range(120))
    for query in ("b=2&a=%2F&a=1", f"b=2&a=%2F&a=1&{many}"):
        for path in ("/api/v1/nmt", "/api/v2/nmt"):  # the global instance, and a route's (v2 rewrite)
            seen = echo(gw.post(f"{path}?{query}", json=NMT, headers={"apikey": settings.key}))
            assert list(seen.query.items()) == _as_sent(query), f"{path}?{query[:40]}..."
            auth = token()
            # credentials first: key-auth and jwt read the first 100 arguments only (kong.request.get_query)
            for with_credential, headers in ((f"apikey={key}&{query}", {}),
                                             (f"apikey={key}&{query}", {"Authorization": auth}),
                                             (f"jwt={auth.removeprefix('Bearer ')}&{query}", {})):
                seen = echo(gw.post(f"{path}?{with_credential}", json=NMT, headers=headers))
                assert list(seen.query.items()) == _as_sent(query), f"{path}?{with_credential[:40]}..."
