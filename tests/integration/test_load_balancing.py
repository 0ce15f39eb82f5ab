"""Load balancing over the demo backends: both targets serve; a stopped target is taken out and comes back."""

from __future__ import annotations

import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration import faults, targets
from integration.conftest import Token
from integration.expect import (
    CLIENT_PROVOKED_STATUSES,
    ECHO_DELAY_HEADER,
    ECHO_STATUS_HEADER,
    PASSIVE_UNHEALTHY_STATUSES,
    echo,
    health_path,
    target_hosts,
)
from integration.live import Settings

pytestmark = pytest.mark.demo
UPSTREAM = "nmt"
REQUESTS = 40
SPREAD_SIGMAS = 3
"""Tolerance: each of n targets serves its fair share of the requests within 3 standard deviations of a
binomial draw (two targets: 11 to 29 of 40; three: 5 to 22). Round-robin is exact; least-connections (the
base spec's, in both modes) spreads concurrent requests by what is in flight, which a loaded machine skews."""
NMT = {"input": [{"source": "hello"}], "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}}}


def spread(gw: httpx.Client, auth: str, requests: int = REQUESTS) -> Counter[str]:
    """Which echo host served each of ``requests`` requests, sent 8 at a time, each held 100 ms. ``auth``:
    a fresh web user's token, so the suite's other users keep their budgets."""

    def one(_i: int) -> str:
        return echo(gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth, ECHO_DELAY_HEADER: "100"})).hostname

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(one, range(requests)))


@pytest.mark.smoke
def test_requests_spread_over_both_targets(gw: httpx.Client, spec: GatewaySpec, token: Token) -> None:
    hosts = target_hosts(spec, UPSTREAM)
    assert len(hosts) >= 2, f"upstream {UPSTREAM} has one target on this stack"
    served = spread(gw, token())
    assert set(served) <= hosts
    share = 1 / len(hosts)
    sigma = math.sqrt(REQUESTS * share * (1 - share))
    low, high = REQUESTS * share - SPREAD_SIGMAS * sigma, REQUESTS * share + SPREAD_SIGMAS * sigma
    for host in hosts:
        assert low <= served[host] <= high, f"{host} served {served[host]} of {REQUESTS}: {dict(served)}"


def test_every_target_is_healthy(admin: httpx.Client, spec: GatewaySpec) -> None:
    for upstream in spec.upstreams:
        state = targets.health(admin, upstream)
        assert set(state) == set(targets.targets(spec, upstream)), upstream
        assert set(state.values()) == {"HEALTHY"}, f"{upstream}: {state}"


def test_health_checks_in_kong_are_the_specs(admin: httpx.Client, spec: GatewaySpec) -> None:
    """What Kong holds for each upstream (Admin API ``GET /upstreams/{name}``): the health path, and
    passive checks that count only what a client cannot provoke."""
    for upstream in spec.upstreams:
        response = admin.get(f"/upstreams/{upstream}")
        assert response.status_code == 200, f"{upstream}: {response.status_code}"
        checks = response.json()["healthchecks"]
        assert checks["active"]["http_path"] == health_path(spec, upstream), upstream
        counted = set(checks["passive"]["unhealthy"]["http_statuses"])
        assert counted <= set(PASSIVE_UNHEALTHY_STATUSES), f"{upstream}: passive checks count {sorted(counted)}"


@pytest.mark.destructive
@pytest.mark.processes
def test_stopped_target_gets_no_traffic_and_comes_back(gw: httpx.Client, admin: httpx.Client, settings: Settings,
                                                      spec: GatewaySpec, token: Token) -> None:
    auth = token()
    victim = targets.targets(spec, UPSTREAM)[-1]
    victim_host = victim.split(":")[0].split(".")[0]

    def poke() -> None:
        gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth})

    faults.set_targets_running(settings, [victim], running=False)
    try:
        targets.wait_for(f"{victim} UNHEALTHY", lambda: targets.health(admin, UPSTREAM)[victim] == "UNHEALTHY",
                         poke=poke)
        served = spread(gw, token(), 20)
        assert victim_host not in served, f"a stopped target still served: {dict(served)}"
    finally:
        faults.set_targets_running(settings, [victim], running=True)
    targets.wait_for(f"{victim} HEALTHY again", lambda: targets.health(admin, UPSTREAM)[victim] == "HEALTHY")
    assert victim_host in spread(gw, token(), 20)


@pytest.mark.destructive
def test_client_provoked_errors_do_not_take_a_target_out(gw: httpx.Client, admin: httpx.Client, token: Token) -> None:
    auth = token()
    for status in CLIENT_PROVOKED_STATUSES:
        for _ in range(12):
            response = gw.post("/api/v1/nmt", json=NMT, headers={"Authorization": auth, ECHO_STATUS_HEADER: str(status)})
            assert response.status_code == status, "the echo backend answers with the status asked for"
    state = targets.health(admin, UPSTREAM)
    assert set(state.values()) == {"HEALTHY"}, f"client-provoked {CLIENT_PROVOKED_STATUSES} marked targets: {state}"
