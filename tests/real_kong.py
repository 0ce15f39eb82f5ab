"""A real Kong 3.9.3 in DB mode (Postgres), with no entities, for the tests that replay what pulumi-kong sends
(``provider_replay.Gateway``) against Kong itself: one local gateway per test session (tests/local_gateway),
or why it did not start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from local_gateway import gateway, kong_install
from local_gateway.admin_api import AdminApi
from local_gateway.processes import StartError


@contextmanager
def empty_kong(install: kong_install.KongInstall) -> Iterator[AdminApi | str]:
    try:
        state = gateway.up("dev", "db", install, name=f"pytest-{os.getpid()}", entities=False)
    except (StartError, TimeoutError) as exc:
        yield f"the local Kong did not start: {exc}"
        return
    admin = AdminApi(str(state.outputs()["adminUrl"]))
    try:
        yield admin
    finally:
        admin.close()
        gateway.down(state.layout.root)
