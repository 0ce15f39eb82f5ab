"""No secret value travels in clear: walk every input of every resource, every output the (mocked)
providers return, and every stack output."""

from __future__ import annotations

from typing import Any

import pulumi_kong as kong
import pytest
from platform_helpers import K8S_STACKS, STACKS, TEST_KEY, stack_config
from pulumi_harness import ROOT, Run, Secret, reveal, run, run_main

from gateway.stack.secrets import secret

PROVIDED = {
    "ai4v-gateway:postgresPassword": "provided-pg-password-51f0c2",
    "ai4v-gateway:ai4voiceClientKey": "provided-client-key-7d3a91",
    "ai4v-gateway:redisPassword": "provided-redis-password-77e0b1",
}
SECRET_OUTPUTS = {
    "random:index/randomPassword:RandomPassword": {"result", "bcryptHash"},
    "tls:index/privateKey:PrivateKey": {"privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"},
}
"""Outputs the providers' schemas mark secret. Any other output is stored as the engine sees it: secret
only if the input of the same name held a secret (so pulumi-kong's ``computed_config`` is never secret)."""
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
    # an output the engine keeps in clear is in clear in state, whatever the mock wrapped
    hits += [hit for resource in run.resources for key, value in resource.outputs.items()
             if key not in SECRET_OUTPUTS.get(resource.type, set()) and not _has_secret(resource.inputs.get(key))
             for hit in clear_occurrences(reveal(value), secrets, f"{resource.type}::{resource.name} output {key}")]
    hits += [hit for name, value in run.stack_outputs.items()
             for hit in clear_occurrences(value, secrets, f"output {name}")]
    assert hits == []
    if stack != "dev" and mode == "db":  # Redis with a password: Kong (and state) hold only the reference
        configs = [reveal(r.outputs["computedConfig"]) for r in run.of_type("kong:index/plugin:Plugin")]
        assert sum("{vault://env/ai4v-secret-redis-password}" in c for c in configs) >= 1
    # every Kong node has the value behind the reference, as a secret environment variable
    expected = [] if stack == "dev" else ["AI4V_SECRET_REDIS_PASSWORD=provided-redis-password-77e0b1"]
    if stack in K8S_STACKS:  # from the platform Secret, by reference
        assert k8s_vault_env(run) == expected
        return
    nodes = [r for r in run.of_type("docker:index/container:Container") if r.name.startswith("platform-kong-")]
    assert nodes
    for node in nodes:
        assert not [e for e in node.inputs["envs"] if isinstance(e, str) and e.startswith("AI4V_SECRET_")]
        vault_env = sorted(e.value for e in node.inputs["envs"] if isinstance(e, Secret)
                           and e.value.startswith("AI4V_SECRET_"))
        assert vault_env == expected
    # and they are really there, wrapped: the walk would have found them
    wrapped = [1 for _, _, value in run.walk_inputs() if _contains_secret(value, secrets)]
    assert wrapped


def k8s_vault_env(run: Run) -> list[str]:
    """``VAR=value`` of the Kong container's vault variables, each read from the platform Secret."""
    [deployment] = run.of_type("kubernetes:apps/v1:Deployment")
    [container] = reveal(deployment.inputs["spec"])["template"]["spec"]["containers"]
    [platform_secret] = [r for r in run.of_type("kubernetes:core/v1:Secret") if r.name == "ai4v-gateway-secrets"]
    assert isinstance(platform_secret.inputs["stringData"], Secret)
    values = reveal(platform_secret.inputs["stringData"])
    out = []
    for entry in container["env"]:
        if entry["name"].startswith("AI4V_SECRET_"):
            ref = entry["valueFrom"]["secretKeyRef"]
            assert "value" not in entry and ref["name"] == "ai4v-gateway-secrets"
            out.append(f"{entry['name']}={values[ref['key']]}")
    return sorted(out)


def _has_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def test_the_output_walk_finds_a_plugin_config_with_a_value() -> None:
    """pulumi-kong's Read puts Kong's plugin config into the non-secret computed_config: a secret sent in
    config_json, even wrapped, would land there in clear."""
    def program() -> None:
        kong.Plugin("p", name="rate-limiting", config_json=secret('{"redis":{"password":"s3cr3t-value"}}'))

    (plugin,) = run(program).resources[1:]
    assert isinstance(plugin.inputs["configJson"], Secret)
    assert clear_occurrences(reveal(plugin.outputs["computedConfig"]), {"s3cr3t-value"}, "p")


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
