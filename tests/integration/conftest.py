"""Live suite plumbing: one availability check per session, the opt-in markers, paced HTTP clients.

Every test of this directory is skipped, with the reason saying how to run it, unless the suite is
opted in (``make integration`` / ``make smoke``) and a gateway answers. Markers:
``smoke`` (the `make smoke` subset), ``slow`` (AI4V_ITEST_SLOW=1), ``destructive`` (AI4V_ITEST_DESTRUCTIVE=1:
stops and starts backends, Redis, Postgres, reloads Kong), ``processes`` (the docker CLI reaches the stack's engine, or the
gateway is a local one: integration/faults.py),
``demo`` (the targets are the demo echo backends: dev).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.spec import GatewaySpec
from integration import faults, live
from integration.expect import spec_of

HERE = Path(__file__).resolve().parent
AVAILABILITY = pytest.StashKey[live.Settings | str]()
MARKERS = {
    "smoke": "part of `make smoke`: fast, one area per file",
    "slow": f"waits for a rate-limit window or floods the proxy; opt in with {live.ENV_SLOW}=1",
    "destructive": f"stops and starts backends, Redis or Postgres, or reloads Kong; opt in with {live.ENV_DESTRUCTIVE}=1",
    "processes": "stops and starts the gateway's processes or reads their logs: the docker CLI of the stack's "
                 "Docker host, or the local gateway's processes",
    "demo": "needs the demo echo backends as targets (dev: ai4v-gateway:demoBackends true)",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def _ours(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if _ours(item)]
    if not mine:
        return
    found = live.availability(os.environ)
    config.stash[AVAILABILITY] = found
    if isinstance(found, str):
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=found))
        return
    processes_reason: str | None = None
    processes_checked = False
    for item in mine:
        if item.get_closest_marker("slow") and not _opted(live.ENV_SLOW):
            item.add_marker(pytest.mark.skip(reason=f"slow: set {live.ENV_SLOW}=1 to run it (`{live.ENV_SLOW}=1 make integration`)"))
        if item.get_closest_marker("destructive") and not _opted(live.ENV_DESTRUCTIVE):
            item.add_marker(pytest.mark.skip(
                reason=f"destructive (stops backends, Redis or Postgres): set {live.ENV_DESTRUCTIVE}=1 to run it"))
        if item.get_closest_marker("demo") and not found.demo_backends:
            item.add_marker(pytest.mark.skip(reason=f"needs the demo echo backends; stack {found.stack} has none "
                                                    f"(set {live.ENV_DEMO_BACKENDS}=1 if it does)"))
        if item.get_closest_marker("processes"):
            if not processes_checked:
                processes_reason, processes_checked = faults.unavailable(found), True
            if processes_reason:
                item.add_marker(pytest.mark.skip(reason=processes_reason))


def _opted(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Failure reports never show a key or the JWT secret (assertion introspection would print them)."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    found = item.config.stash.get(AVAILABILITY, None)
    if not report.failed or not isinstance(found, live.Settings) or not _ours(item):
        return
    text = str(report.longrepr)
    for secret in found.secrets():
        text = text.replace(secret, "<redacted>")
    report.longrepr = text


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> live.Settings:
    found = request.config.stash.get(AVAILABILITY, None)
    if not isinstance(found, live.Settings):  # only when collection did not go through the hook
        pytest.skip(found or f"live integration test: {live.HOW_TO_RUN}")
    return found


@pytest.fixture(scope="session")
def spec(settings: live.Settings) -> GatewaySpec:
    return spec_of(settings.stack)


@pytest.fixture(scope="session")
def pacer() -> live.Pacer:
    return live.pacer_from(os.environ)


def _client(base_url: str, settings: live.Settings, pacer: live.Pacer | None) -> httpx.Client:
    hooks = {"request": [lambda _request: pacer.wait()]} if pacer is not None else {}
    return httpx.Client(base_url=base_url, timeout=60, verify=settings.verify_tls, event_hooks=hooks)


@pytest.fixture(scope="session")
def gw(settings: live.Settings, pacer: live.Pacer) -> Iterator[httpx.Client]:
    """Node 1's proxy, paced below the flood guard."""
    with _client(settings.proxy_url, settings, pacer) as client:
        yield client


@pytest.fixture(scope="session")
def nodes(settings: live.Settings, pacer: live.Pacer) -> Iterator[list[httpx.Client]]:
    """Every node's proxy (one on dev)."""
    clients = [_client(url, settings, pacer) for url in settings.proxy_urls]
    yield clients
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def admin(settings: live.Settings) -> Iterator[httpx.Client]:
    if settings.admin_url is None:
        pytest.skip(f"needs the Admin API: set {live.ENV_ADMIN} (the stack exports no adminUrl)")
    with httpx.Client(base_url=settings.admin_url, timeout=30) as client:
        yield client


Token = Callable[..., str]


@pytest.fixture
def token(settings: live.Settings) -> Token:
    """``token(sub=None, **claims)``: an ``Authorization`` value for a web user; a fresh ``sub`` (a fresh
    rate-limit budget) unless one is given."""

    def make(sub: str | None = None, **claims: object) -> str:
        body: dict[str, object] = {"iss": live.JWT_ISSUER, "sub": sub or f"itest-{uuid.uuid4().hex[:12]}",
                                   "exp": int(time.time()) + 600, **claims}
        return "Bearer " + live.hs256_token(settings.jwt_secret, body)

    return make
