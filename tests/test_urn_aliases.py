"""A stack deployed from an earlier commit previews with no replacement: every URN that commit's program
registered (tests/fixtures/urns/<stack>.json, written by tools/urn_snapshot.py under the same mocks) is taken
over by a resource of today's program, under its URN or an alias, as the engine pairs them; and the dynamic
provider pickled into that state still loads."""

from __future__ import annotations

import base64
import json

import dill
import pytest
from platform_helpers import STACKS, cached_run
from pulumi_harness import ROOT, engine_urns, matched_old_urns

from gateway.kong.adminpatch import KongFieldsProvider

FIXTURES = ROOT / "tests" / "fixtures" / "urns"
SWITCHED = ("rate-limiting", "rate-limiting-inline")
"""Issue 23: the stacks count with the gateway's rate-limiting-inline instead of Kong's rate-limiting. Those are
new Kong plugin entities (a plugin's ``name`` is ForceNew in the Kong provider, resource_kong_plugin.go), so the
baseline's rate-limiting plugins (and their KongFields) are deleted and the new ones created: not taken over."""


def baseline_urns(stack: str) -> set[str]:
    urns = baseline(stack)["urns"]
    assert isinstance(urns, list)
    return {str(u) for u in urns}


def switched(urn: str, plugin: str) -> bool:
    """A URN of a Kong plugin entity (or its KongFields) of ``plugin``: ``kong-plugin-<scope>-<plugin>[-fields]``."""
    return urn.endswith((f"-{plugin}", f"-{plugin}-fields")) and "-plugin-" in urn.rsplit("::", 1)[1]


def baseline(stack: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((FIXTURES / f"{stack}.json").read_text(encoding="utf-8"))
    return data


def test_every_stack_has_a_baseline() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_docker_platform_rename_keeps_every_deployed_urn(stack: str) -> None:
    """Issue 24 item 1: KongPlatform became DockerPlatform (type token ai4v:gateway:DockerPlatform); its alias
    to the old type, and the engine's inherited aliases of its children, take over every URN a stack
    deployed from the commit before the layout change registered, so nothing is created, deleted or replaced
    (but the rate-limiting plugins of issue 23's switch, ``SWITCHED``)."""
    olds = {u for u in baseline_urns(stack) if not switched(u, SWITCHED[0])}
    run = cached_run(stack)
    taken = matched_old_urns(run.resources, stack, olds)
    assert sorted(olds - set(taken)) == []
    assert len(set(taken.values())) == len(taken)  # one new resource per old one
    renamed = {o: n for o, n in taken.items() if o != n}
    if any(":KongPlatform" in urn for urn in olds):  # the Docker stacks: the rename is really exercised
        assert renamed and all(":KongPlatform" in o and ":DockerPlatform" in n for o, n in renamed.items())
    news = {u for u in engine_urns(run.resources, stack) if not switched(u, SWITCHED[1])}
    assert news == set(taken.values())  # nothing new either


@pytest.mark.parametrize("stack", [s for s in STACKS if any(switched(u, SWITCHED[0]) for u in baseline_urns(s))])
def test_rate_limiting_inline_plugins_are_created_and_kongs_deleted(stack: str) -> None:
    """Issue 23 item 2: each rate-limiting plugin the baseline deployed is replaced by a rate-limiting-inline plugin at
    the same scope, a new resource (no alias takes the old URN over): ``pulumi up`` creates the new plugins while the
    program registers, and deletes the old ones after (docs/OPERATIONS.md)."""
    olds = baseline_urns(stack)
    run = cached_run(stack)
    old_limits = {u for u in olds if switched(u, SWITCHED[0])}
    new_limits = {u for u in engine_urns(run.resources, stack) if switched(u, SWITCHED[1])}
    assert old_limits and not set(matched_old_urns(run.resources, stack, olds)) & old_limits
    assert {u.replace(f"-{SWITCHED[0]}", f"-{SWITCHED[1]}") for u in old_limits} == new_limits


def test_alias_matching_is_not_vacuous() -> None:
    """Without the component's alias the same old URNs are not all taken over (the check above can fail)."""
    run = cached_run("dev")
    for reg in run.resources:
        if reg.type == "ai4v:gateway:DockerPlatform":
            stripped = type(reg)(**{**reg.__dict__, "options": {**reg.options, "aliases": []}})
            resources = [stripped if r is reg else r for r in run.resources]
    olds = set(baseline("dev")["urns"])  # type: ignore[call-overload]
    assert olds - set(matched_old_urns(resources, "dev", olds))


@pytest.mark.parametrize("stack", [s for s in STACKS if baseline(s)["dynamic_providers"]])
def test_state_pickled_provider_still_loads(stack: str) -> None:
    """Issue 24 item 1: state holds the dynamic provider dill-pickled by reference (pulumi/dynamic/dynamic.py
    ``serialize_provider``; __main__.py ``get_provider`` loads it with ``dill.loads``); the one that commit
    wrote names gateway.adminpatch.KongFieldsProvider, which must load as today's provider."""
    for text in baseline(stack)["dynamic_providers"]:  # type: ignore[attr-defined]
        assert b"gateway.adminpatch" in base64.b64decode(text)
        assert isinstance(dill.loads(base64.b64decode(text)), KongFieldsProvider)
