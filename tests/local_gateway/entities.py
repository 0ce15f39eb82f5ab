"""DB mode: the spec's entities reach the real Kong the way ``pulumi up`` writes them.

The program's ``KongEntities`` runs under Pulumi's mocks (tests/pulumi_harness.py) and its registrations
are replayed by ``provider_replay.Gateway``, the model of what terraform-provider-kong sends for each
create, update and delete, against the real Admin API (admin_api.py); the ``KongFields`` of each entity
(gateway.kong.adminpatch) go through their provider's own create and update (``AdminApi.apply_fields``). Kong then takes a while to use what
was written: each worker rebuilds its router and plugin list in the background
(``worker_state_update_frequency``, 5 s), other nodes learn of changes by polling the database
(``db_update_frequency``, 5 s). ``converge`` waits for that with a marker route.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from provider_replay import Gateway, KongError
from pulumi_harness import Registration, run

from gateway.kong.entities import KongEntities, KongEntitiesArgs
from gateway.spec import GatewaySpec
from gateway.stack.secrets import GatewaySecrets, GatewaySecretsArgs
from local_gateway.admin_api import AdminApi

if TYPE_CHECKING:
    from local_gateway.gateway import State

MARKER = "ai4v-live-marker"
CONVERGE_TIMEOUT = 60.0
CONNECTIONS = 8
"""Requests on fresh connections per check: with ``reuseport`` they land on the node's workers in turn."""


def registrations(spec: GatewaySpec, stack: str, admin_url: str, values: Mapping[str, str]) -> list[Registration]:
    """What ``pulumi up`` registers for the spec's entities, with these secret values."""

    if threading.current_thread() is not threading.main_thread():
        asyncio.set_event_loop(asyncio.new_event_loop())  # the mocks run on this thread's loop (make live's modes)

    def program() -> None:
        names = spec.secret_names()
        secrets = GatewaySecrets("secrets", GatewaySecretsArgs(names=names, provided={n: values[n] for n in names}))
        KongEntities("kong", KongEntitiesArgs(spec=spec, stack=stack, admin_uri=admin_url, secrets=secrets.values))

    return run(program, stack=stack).resources


def apply_spec(state: State) -> Gateway:
    """Write the state's spec into its Kong and wait until every node uses it."""
    outputs = state.outputs()
    admin = AdminApi(outputs["adminUrl"])
    gateway = Gateway(kong=admin)
    gateway.up(registrations(state.spec, state.stack, outputs["adminUrl"], state.secret_values))
    converge(admin, outputs["proxyUrls"])
    return gateway


@dataclass(frozen=True)
class Marker:
    """A route whose request-termination plugin answers a fresh token, written after everything else:
    once every node answers the token on fresh connections, each has rebuilt its router and plugins after
    every earlier write."""

    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def name(self) -> str:
        return f"{MARKER}-{self.token}"

    @property
    def service(self) -> dict[str, Any]:
        return {"name": self.name, "host": "127.0.0.1", "port": 9}

    @property
    def route(self) -> dict[str, Any]:
        return {"name": self.name, "paths": [f"/{self.name}"]}

    @property
    def plugin(self) -> dict[str, Any]:
        return {"name": "request-termination",
                "config": {"status_code": 200, "body": self.token, "content_type": "text/plain"}}

    def wait(self, proxies: Sequence[str], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for proxy in proxies:
            while True:
                answers = []
                for _ in range(CONNECTIONS):
                    with httpx.Client(base_url=proxy, timeout=5) as client:  # a new connection each time
                        answer = client.get(f"/{self.name}")
                    answers.append(answer.status_code == 200 and answer.text == self.token)
                if all(answers):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{proxy} did not show {what} within {timeout:.0f} s")
                time.sleep(0.25)


def post_config(admin: AdminApi, proxies: Sequence[str], document: dict[str, Any],
                timeout: float = CONVERGE_TIMEOUT) -> None:
    """DB-less: replace the whole config (``POST /config``) and return once every node uses it (config
    reloads reach the workers asynchronously): the new config carries a marker."""
    marker = Marker()
    service = {**marker.service, "routes": [{**marker.route, "plugins": [marker.plugin]}]}
    response = admin.client.post("/config", json={**document, "services": [*document.get("services", []), service]})
    if response.status_code != 201:
        raise KongError(f"{response.status_code} POST /config: {response.text[:500]}")
    marker.wait(proxies, "the new config", timeout)


def converge(admin: AdminApi, proxies: Sequence[str], timeout: float = CONVERGE_TIMEOUT) -> None:
    """Return once every node proxies with everything written before the call: a marker is written last,
    awaited, then deleted (its path serves nothing the tests ask for, so its removal is not awaited)."""
    marker = Marker()
    service = admin.insert("services", marker.service)
    route = admin.insert("routes", {**marker.route, "service": {"id": service}})
    admin.insert("plugins", {**marker.plugin, "route": {"id": route}})
    marker.wait(proxies, "the marker route", timeout)
    admin.delete("routes", route)
    admin.delete("services", service)
