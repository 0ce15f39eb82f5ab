"""What the docs say Kong does, shown by a real Kong 3.9.3: a DB-less local gateway of the dev stack
(tests/local_gateway) whose entities each test replaces (``POST /config``), its log read from its file.

- The flood guard (nginx ``limit_req``, preaccess phase) runs after Kong's rewrite phase: the proxy server's
  ``rewrite_by_lua_block { Kong.rewrite() }`` (kong/templates/nginx_kong.lua) runs every global rewrite
  handler first, also for the requests the guard refuses (docs/SECURITY.md section 3, docs/DECISIONS.md).
- The 426 of an HTTPS-only route and the trust in ``X-Forwarded-Proto`` are in ``runloop.access.before``
  (kong/runloop/handler.lua), which Kong.access runs before any plugin's access handler (docs/SECURITY.md
  sections 4 and 10).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_gateway import gateway, kong_install
from local_gateway.admin_api import AdminApi
from local_gateway.entities import post_config

from gateway.platform import naming
from gateway.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
ECHO_TARGET = ("auth-service", 8081)
"""An echo backend of the dev gateway."""


@pytest.fixture(scope="module")
def claims_kong(kong: kong_install.KongInstall) -> Iterator[gateway.State]:
    with gateway.gateway("dev", "dbless", kong, name=f"pytest-{os.getpid()}-claims") as state:
        yield state


def load(state: gateway.State, document: dict[str, Any]) -> str:
    """Replace the gateway's entities; its first proxy URL."""
    outputs = state.outputs()
    admin = AdminApi(outputs["adminUrl"])
    try:
        post_config(admin, outputs["proxyUrls"], {"_format_version": "3.0", **document})
    finally:
        admin.close()
    return str(outputs["proxyUrls"][0])


def node_log(state: gateway.State, needle: str, timeout: float = 10.0) -> str:
    """Node 1's log file (access and error log) once it holds ``needle`` (nginx logs after answering)."""
    path = state.layout.log(naming.kong_role(1))
    deadline = time.monotonic() + timeout
    while needle not in (text := path.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.2)
    return text


SERVICE = {"name": "claims", "host": ECHO_TARGET[0], "port": ECHO_TARGET[1]}


def test_flood_guard_runs_after_kongs_rewrite_phase(claims_kong: gateway.State) -> None:
    """Issue 22 item 18: a request the flood guard refuses (429) has already run Kong's rewrite phase and
    every global rewrite handler (Lua): the guard is nginx's preaccess phase, after ``rewrite_by_lua``."""
    guard = load_spec(ROOT / "stacks", "dev").edge.flood_guard
    assert guard is not None
    marker = uuid.uuid4().hex[:8]
    proxy = load(claims_kong, {
        "services": [{**SERVICE, "routes": [{"name": "flood", "paths": ["/flood"]}]}],
        "plugins": [{"name": "pre-function", "config": {"rewrite": [
            "kong.log.notice('rewrite ran: ', kong.request.get_header('x-correlation-id'))"]}}],
    })
    transport = httpx.HTTPTransport(local_address="127.89.0.1")  # one client address: one flood-guard bucket
    with httpx.Client(transport=transport, base_url=proxy, timeout=60) as client:
        def one(i: int) -> tuple[str, int]:
            correlation = f"{marker}-{i}"
            return correlation, client.get("/flood", headers={"X-Correlation-Id": correlation}).status_code

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(one, range(guard.burst * 2)))
    refused = [correlation for correlation, status in answers if status == 429]
    assert refused, f"the flood guard refused none of {len(answers)} requests sent at once"
    log = node_log(claims_kong, f"rewrite ran: {refused[-1]}")
    ran = set(re.findall(rf"rewrite ran: ({marker}-\d+)", log))
    assert set(refused) <= ran, f"{len(set(refused) - ran)} refused requests did not run Kong's rewrite phase"


def test_https_only_answer_comes_before_every_plugins_access(claims_kong: gateway.State) -> None:
    """Issue 22 item 18: Kong answers plain HTTP on an HTTPS-only route with 426 in ``access.before``, before
    key-auth (401) or rate-limiting run, and an untrusted client's ``X-Forwarded-Proto: https`` changes nothing."""
    proxy = load(claims_kong, {"services": [{**SERVICE, "routes": [{
        "name": "secure", "paths": ["/secure"], "protocols": ["https"],
        "plugins": [{"name": "key-auth"}, {"name": "rate-limiting", "config": {"minute": 50, "limit_by": "ip"}}],
    }]}]})
    for headers in ({}, {"X-Forwarded-Proto": "https"}):
        response = httpx.get(f"{proxy}/secure", headers=headers, timeout=30)
        assert response.status_code == 426, f"{headers}: {response.status_code} {response.text}"
        assert "x-ratelimit-limit-minute" not in response.headers  # rate-limiting's access did not run
        assert response.json()["message"] == "Please use HTTPS protocol"
