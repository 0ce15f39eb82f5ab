"""Upstream targets: which the spec has, and Kong's view of their health (stopping them: faults.py).

Health comes from node 1's Admin API, ``GET /upstreams/{name}/health`` (kong/api/routes/upstreams.lua),
whose targets carry ``health``: HEALTHY, UNHEALTHY, DNS_ERROR or HEALTHCHECKS_OFF (kong/runloop/balancer/
healthcheckers.lua, ``get_upstream_health``). Each Kong node keeps its own view.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from gateway.spec import GatewaySpec


def targets(spec: GatewaySpec, upstream: str) -> list[str]:
    return [t.target for t in spec.upstreams[upstream].targets]


def health(admin: httpx.Client, upstream: str) -> dict[str, str]:
    response = admin.get(f"/upstreams/{upstream}/health")
    assert response.status_code == 200, f"Admin API /upstreams/{upstream}/health: {response.status_code}"
    return {str(t["target"]): str(t.get("health")) for t in response.json()["data"]}


def wait_for(what: str, check: Callable[[], bool], timeout: float = 90, every: float = 2,
             poke: Callable[[], object] | None = None) -> None:
    """Poll ``check`` until it holds; ``poke`` sends traffic between polls (passive checks count it)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        if poke is not None:
            poke()
        time.sleep(every)
