"""Rate limits: per-user budgets shared by every version of a family, 429 and recovery, the flood guard,
and (two nodes, ``policy: redis``) one counter for every node."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration.conftest import Token
from integration.expect import FLOOD_GUARDED, RATE_LIMITED, echo, message, minute_limit, rate_limit
from integration.live import Settings

NMT = {"input": [{"source": "नमस्ते"}], "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}}
SERVICE = "nmt"


def remaining(response: httpx.Response) -> int:
    assert "ratelimit-remaining" in response.headers, \
        f"no RateLimit-Remaining on {response.status_code}: {dict(response.headers)}"
    return int(response.headers["ratelimit-remaining"])


def call(client: httpx.Client, auth: str, path: str = "/api/v1/nmt", **headers: str) -> httpx.Response:
    return client.post(path, json=NMT, headers={"Authorization": auth, **headers})


def fresh_window(client: httpx.Client, auth: str, needed: float = 20.0) -> None:
    """Start after a minute boundary if the current window ends within ``needed`` seconds (Kong's windows
    are calendar minutes: kong/tools/timestamp.lua)."""
    reset = int(call(client, auth).headers.get("ratelimit-reset", "60"))
    if reset < needed:
        time.sleep(reset + 1)


@pytest.mark.smoke
@pytest.mark.demo
def test_ratelimit_headers(gw: httpx.Client, spec: GatewaySpec, token: Token) -> None:
    response = call(gw, token())
    echo(response)
    limit = minute_limit(spec, SERVICE)
    assert response.headers.get("ratelimit-limit") == str(limit)
    assert remaining(response) == limit - 1
    assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
    assert response.headers.get("x-ratelimit-limit-minute") == str(limit)


@pytest.mark.demo
def test_429_after_the_limit(gw: httpx.Client, spec: GatewaySpec, token: Token) -> None:
    auth = token()
    fresh_window(gw, auth, needed=20)  # limit + 10 requests: at most 160 / 12 rps = 14 s, less with the burst
    limit = minute_limit(spec, SERVICE)
    statuses = []
    for _ in range(limit + 10):
        response = call(gw, auth)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[0] == 200 and 429 in statuses, f"no 429 within {limit + 10} requests: {set(statuses)}"
    assert limit - 3 <= statuses.index(429) <= limit + 2, f"429 after {statuses.index(429)} requests, limit {limit}"
    assert message(response) == RATE_LIMITED
    assert remaining(response) == 0
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert echo(call(gw, token())).path == "/api/v1/nmt", "another user keeps their own budget"


def test_concurrent_requests_are_each_counted_before_the_next_check(gw: httpx.Client, spec: GatewaySpec,
                                                                   token: Token) -> None:
    """Issue 23 item 2: rate-limiting-inline counts in the request (``shm:incr`` in ``access``; one ``EVAL`` with
    ``policy: redis``), so one user's concurrent requests never read the same count: exactly the limit is served
    in a window, each with a ``RateLimit-Remaining`` of its own, and the rest get 429. (Kong's rate-limiting checks,
    then counts in a timer: concurrent requests read the same count and more than the limit get through.)"""
    service, path = "pipeline", "/api/v1/pipeline"
    auth = token()
    fresh_window(gw, auth, needed=30)  # on nmt: another service, another budget; the windows are the same minutes
    limit = minute_limit(spec, service)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _i: call(gw, auth, path), range(limit + 10)))
    served = [r for r in responses if r.status_code != 429]
    refused = [r for r in responses if r.status_code == 429]
    assert all(r.status_code == 200 for r in served), {r.status_code for r in served}
    assert len(served) == limit and all(message(r) == RATE_LIMITED for r in refused), (len(served), limit)
    assert sorted(remaining(r) for r in served) == list(range(limit)), "two requests read the same count"


@pytest.mark.slow
@pytest.mark.demo
def test_recovery_after_the_window(gw: httpx.Client, spec: GatewaySpec, token: Token) -> None:
    auth = token()
    limit = minute_limit(spec, SERVICE)
    response = call(gw, auth)
    for _ in range(limit + 10):
        response = call(gw, auth)
        if response.status_code == 429:
            break
    assert response.status_code == 429
    time.sleep(int(response.headers["retry-after"]) + 1)
    recovered = call(gw, auth)
    echo(recovered)
    assert remaining(recovered) >= limit - 2


@pytest.mark.demo
def test_v1_v2_and_unversioned_share_one_budget(gw: httpx.Client, token: Token) -> None:
    auth = token()
    fresh_window(gw, auth)
    seen = []
    for path, headers in [("/api/v1/nmt", {}), ("/api/v2/nmt", {}), ("/api/nmt", {}),
                          ("/api/nmt", {"X-API-Version": "v2"}), ("/api/v1/nmt/jobs", {})]:
        response = call(gw, auth, path, **headers)
        echo(response)
        seen.append(remaining(response))
        time.sleep(0.05)  # for Kong's rate-limiting, which counts in a timer after the request (handler.lua)
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == len(seen), f"not one countdown: {seen}"


@pytest.mark.demo
def test_two_users_of_one_front_end_have_separate_budgets(gw: httpx.Client, spec: GatewaySpec, token: Token) -> None:
    alice, bob = token(f"alice-{uuid.uuid4().hex[:8]}"), token(f"bob-{uuid.uuid4().hex[:8]}")
    fresh_window(gw, alice)
    first = remaining(call(gw, alice))
    time.sleep(0.05)
    second = remaining(call(gw, alice))
    assert second < first
    assert remaining(call(gw, bob)) == minute_limit(spec, SERVICE) - 1


@pytest.mark.demo
def test_api_key_budget_is_the_consumers(gw: httpx.Client, settings: Settings) -> None:
    responses = [gw.post("/api/v1/asr", json=NMT, headers={"apikey": settings.asr_only_key}) for _ in range(2)]
    time.sleep(0.05)
    third = gw.post("/api/v1/asr", json=NMT, params={"apikey": settings.asr_only_key})
    counts = [remaining(r) for r in (*responses, third)]
    assert counts[2] < counts[0], f"the key's budget did not count down across header and query: {counts}"


@pytest.mark.slow
def test_flood_guard_holds_on_an_authenticated_route(settings: Settings, spec: GatewaySpec, token: Token) -> None:
    guard = spec.edge.flood_guard
    assert guard is not None, "the stack has no flood guard"
    total = guard.burst + guard.per_minute // 60 * 5 + 200
    auth = token()

    def one(client: httpx.Client) -> httpx.Response:
        return call(client, auth, "/api/v1/nmt")

    with httpx.Client(base_url=settings.proxy_url, timeout=60, verify=settings.verify_tls,
                      limits=httpx.Limits(max_connections=20)) as client, ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda _i: one(client), range(total)))
    flooded = [r for r in responses if r.status_code == 429 and message(r) == FLOOD_GUARDED]
    served = [r for r in responses if r.status_code != 429 or message(r) != FLOOD_GUARDED]
    assert flooded, f"no flood-guard 429 in {total} requests from one address"
    assert "ratelimit-remaining" not in flooded[0].headers, "the flood guard answers before any plugin"
    assert len(served) >= guard.burst // 2, f"only {len(served)} requests were let through"
    time.sleep(guard.burst * 60 / guard.per_minute + 2)  # let the bucket drain for the tests after this one


def test_redis_counter_is_shared_by_every_node(nodes: list[httpx.Client], spec: GatewaySpec, token: Token) -> None:
    entry = rate_limit(spec, SERVICE)
    policy = entry.config.policy if entry is not None else None
    if len(nodes) < 2 or policy != "redis":
        pytest.skip(f"needs a stack with two or more Kong nodes and a rate limit with policy redis (this one: "
                    f"{len(nodes)} node(s), policy {policy}); e.g. staging")
    auth = token()
    fresh_window(nodes[0], auth)
    counts = []
    for i in range(2 * len(nodes)):
        counts.append(remaining(call(nodes[i % len(nodes)], auth)))
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == len(counts), \
        f"nodes do not share one counter: {counts}"
