"""No secret value travels in clear: walk every input of every resource and every stack output."""

from __future__ import annotations

from typing import Any

import pytest
from platform_helpers import STACKS, TEST_KEY, stack_config
from pulumi_harness import ROOT, Run, Secret, run_main

PROVIDED = {
    "ai4v-gateway:postgresPassword": "provided-pg-password-51f0c2",
    "ai4v-gateway:ai4voiceClientKey": "provided-client-key-7d3a91",
}
CASES = [(stack, mode) for stack in STACKS for mode in ("db", "dbless")]


def clear_occurrences(value: Any, secrets: set[str], path: str) -> list[str]:
    """Paths where a secret value appears outside a ``Secret`` wrapper (inside strings too)."""
    if isinstance(value, Secret):
        return []
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in clear_occurrences(v, secrets, f"{path}.{k}")]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in clear_occurrences(v, secrets, f"{path}[{i}]")]
    if isinstance(value, str):
        return [f"{path}: contains {s[:12]}..." for s in secrets if s in value]
    return []


def secret_values(run: Run, provided: dict[str, str]) -> set[str]:
    values = set(provided.values())
    for resource in run.resources:
        if resource.type == "random:index/randomPassword:RandomPassword":
            values.add(f"generated-{resource.name}-" + "x" * 24)
        if resource.type == "tls:index/privateKey:PrivateKey":
            values.add(f"generated-{resource.name}-key")
    return values


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_no_secret_in_clear(stack: str, mode: str) -> None:
    config, secret_keys = stack_config(stack, mode=mode)
    config.update(PROVIDED)
    secret_keys += list(PROVIDED)
    run = run_main(stack, config, secret_keys)
    provided = dict(PROVIDED)
    if "ai4v-gateway:tlsPrivateKey" in config:
        provided["tls"] = TEST_KEY.splitlines()[1]
    secrets = secret_values(run, provided)
    assert len(secrets) >= 6
    hits = [hit for resource, key, value in run.walk_inputs()
            for hit in clear_occurrences(value, secrets, f"{resource.type}::{resource.name}.{key}")]
    hits += [hit for name, value in run.stack_outputs.items()
             for hit in clear_occurrences(value, secrets, f"output {name}")]
    assert hits == []
    # and they are really there, wrapped: the walk would have found them
    wrapped = [1 for _, _, value in run.walk_inputs() if _contains_secret(value, secrets)]
    assert wrapped


def _contains_secret(value: Any, secrets: set[str]) -> bool:
    if isinstance(value, Secret):
        return bool(clear_occurrences(value.value, secrets, ""))
    if isinstance(value, dict):
        return any(_contains_secret(v, secrets) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v, secrets) for v in value)
    return False


def test_the_walk_finds_a_clear_secret() -> None:
    secrets = {"s3cr3t-value"}
    assert clear_occurrences({"envs": ["A=1", "KONG_PG_PASSWORD=s3cr3t-value"]}, secrets, "r")
    assert not clear_occurrences({"envs": ["A=1", Secret("KONG_PG_PASSWORD=s3cr3t-value")]}, secrets, "r")


@pytest.mark.parametrize("stack", STACKS)
def test_stack_files_hold_no_secret(stack: str) -> None:
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    for word in ("Password", "ClientKey", "JwtSecret", "PRIVATE KEY", "tlsPrivateKey:"):
        assert word not in text.replace("`pulumi config set --secret ai4v-gateway:tlsPrivateKey", "")
