"""Faults on the running gateway: Redis stops, Postgres restarts, a 50 MiB upload spills to disk, a client
goes away mid-upload. No request gets a 500 for any of them. (A stopped target: test_load_balancing.py; every
target of a mapped language: test_language_routing.py.)"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration import faults, targets
from integration.conftest import Token
from integration.expect import ASR_WHISPER, asr_body, echo, model_sent, rate_limit
from integration.live import Settings

NMT = {"input": [{"source": "नमस्ते"}], "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}}
SPILLED = "a client request body is buffered to a temporary file"
"""nginx's warning when a body goes past client_body_buffer_size (ngx_http_request_body.c)."""


def _policy(spec: GatewaySpec, service: str) -> str | None:
    entry = rate_limit(spec, service)
    return str(entry.config.policy) if entry is not None else None


def _calls(gw: httpx.Client, auth: str, count: int, every: float = 0.1) -> list[httpx.Response]:
    answers = []
    for _ in range(count):
        answers.append(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth}))
        time.sleep(every)
    return answers


@pytest.mark.destructive
@pytest.mark.processes
def test_redis_down_lets_requests_through_and_limits_come_back(gw: httpx.Client, settings: Settings,
                                                               spec: GatewaySpec, token: Token) -> None:
    """docs/RATE_LIMITING.md: with ``fault_tolerant`` Kong lets requests through when it cannot reach the
    counter store, and logs the error."""
    if _policy(spec, "nmt") != "redis":
        pytest.skip(f"stack {settings.stack} counts rate limits on each node (policy {_policy(spec, 'nmt')}): "
                    "Redis is not on the request path; e.g. STACK=staging")
    auth = token()
    before = echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth})).response
    assert "ratelimit-limit" in before.headers, "counted in Redis before the fault"
    faults.set_service_running(settings, "redis", running=False)
    try:
        during = _calls(gw, auth, 10)
    finally:
        faults.set_service_running(settings, "redis", running=True)
    assert [r.status_code for r in during] == [200] * 10, "every request passes while Redis is down"
    for response in during:
        echo(response)
        assert "ratelimit-limit" not in response.headers, "no counter, no rate-limit headers"
    assert "failed to get usage" in faults.node_logs(settings, 1), "Kong logs that it could not count"
    after = echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth})).response
    assert "ratelimit-limit" in after.headers, "counting resumes once Redis is back"


def _database(admin: httpx.Client) -> bool:
    status = admin.get("/status")
    return status.status_code == 200 and bool(status.json().get("database", {}).get("reachable"))


@pytest.mark.destructive
@pytest.mark.processes
def test_postgres_restart_keeps_kong_serving(gw: httpx.Client, admin: httpx.Client, settings: Settings,
                                             token: Token) -> None:
    """Kong proxies from its node cache while the database is away. What is not in the cache yet (a
    credential first used since the node started) needs the database: Kong answers 500 for it then
    (kong/plugins/jwt/handler.lua "failed to get from node cache"; docs/LOCAL_GATEWAY.md, "Faults")."""
    if settings.mode != "db":
        pytest.skip(f"stack {settings.stack} runs DB-less: no Postgres")
    auth = token()
    assert _database(admin)
    echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth}))  # the credential, in the cache
    faults.set_service_running(settings, "postgres", running=False)
    try:
        assert not _database(admin), "the Admin API sees the database gone"
        during = _calls(gw, auth, 10)
    finally:
        faults.set_service_running(settings, "postgres", running=True)
    assert [r.status_code for r in during] == [200] * 10, "Kong proxies from its cache while Postgres is down"
    targets.wait_for("the database reachable again", lambda: _database(admin), timeout=60, every=1)
    assert admin.get("/services").status_code == 200
    assert [r.status_code for r in _calls(gw, auth, 3)] == [200] * 3


def _wait(what: str, check: Callable[[], bool], timeout: float = 15) -> None:
    targets.wait_for(what, check, timeout=timeout, every=0.1)


@pytest.mark.processes
def test_upload_at_the_size_limit_spills_to_a_file_and_is_routed_by_its_language(
        gw: httpx.Client, settings: Settings, spec: GatewaySpec) -> None:
    body = asr_body("en", spec.edge.max_body_size)
    response = gw.post("/api/v1/asr", content=body, timeout=180,
                       headers={"apikey": settings.key, "Content-Type": "application/json"})
    seen = echo(response)
    assert len(seen.body) == len(body)
    assert (seen.header("x-detected-language"), seen.header("x-language-source")) == ("en", "body")
    assert model_sent(seen) == ASR_WHISPER
    request_id = seen.header("x-kong-request-id")
    assert request_id, "Kong passes its request id upstream"
    logs = faults.logs_showing(settings, 1, request_id)
    assert any(SPILLED in line and request_id in line for line in logs.splitlines()), \
        "nginx spilled the body to a temporary file"
    _wait("the temporary file removed", lambda: not faults.body_temp_files(settings, 1))


def _open(url: str) -> socket.socket:
    parsed = httpx.URL(url)
    raw = socket.create_connection((parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)), 30)
    if parsed.scheme != "https":
        return raw
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the stack's certificate need not name this address
    return context.wrap_socket(raw)


@pytest.mark.processes
def test_client_gone_mid_upload_leaves_no_temporary_file(settings: Settings, spec: GatewaySpec) -> None:
    assert not faults.body_temp_files(settings, 1), "no spilled body before the test"
    total = spec.edge.max_body_size
    sock = _open(settings.proxy_url)
    try:
        head = (f"POST /api/v1/asr HTTP/1.1\r\nHost: {httpx.URL(settings.proxy_url).host}\r\n"
                f"apikey: {settings.key}\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n")
        sock.sendall(head.encode())
        sock.sendall(asr_body("en", total)[: 8 << 20])
        _wait("the body spilled to a temporary file", lambda: bool(faults.body_temp_files(settings, 1)))
    finally:
        sock.close()
    _wait("the temporary file of the abandoned upload removed", lambda: not faults.body_temp_files(settings, 1))
