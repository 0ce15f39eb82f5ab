"""Shared helpers of the platform tests: stack config as ``pulumi up`` would see it, mocked runs."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pulumi_harness import ROOT, Registration, Run, Secret, run_main

from gateway.spec import available_stacks
from gateway.stack.settings import read_stack_settings

NS = "ai4v-gateway"
CONTAINER = "docker:index/container:Container"
STACKS = tuple(available_stacks(ROOT / "stacks"))
DOCKER_STACKS = tuple(s for s in STACKS if read_stack_settings(ROOT, s).platform == "docker")
K8S_STACKS = tuple(s for s in STACKS if read_stack_settings(ROOT, s).platform == "kubernetes")
TEST_CERT = "-----BEGIN CERTIFICATE-----\nTEST-CERTIFICATE\n-----END CERTIFICATE-----\n"
TEST_KEY = "-----BEGIN PRIVATE KEY-----\nprovided-tls-key-9f8e7d6c5b4a\n-----END PRIVATE KEY-----\n"
PROD_ADMIN_TUNNEL = "http://127.0.0.1:18001"
K8S_POSTGRES_URL = "postgres://kong@pg.example.internal:5432/kong"
K8S_ADMIN_FORWARD = "http://127.0.0.1:8001"


def stack_file_config(stack: str, root: Path = ROOT) -> dict[str, str]:
    """``Pulumi.<stack>.yaml``'s plain ``ai4v-gateway:*`` values as config strings."""
    data = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")) or {}
    out = {}
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict):
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def stack_config(stack: str, **overrides: str) -> tuple[dict[str, str], list[str]]:
    """Config for a run of ``stack``: the stack file, plus what an operator must set (TLS on staging/prod,
    the admin tunnel on prod, Postgres and the Admin port-forward for DB mode on Kubernetes), plus
    ``overrides`` (config keys without namespace)."""
    config = stack_file_config(stack)
    secret_keys: list[str] = []
    if stack in ("staging", "prod"):
        config[f"{NS}:tlsCertificate"] = TEST_CERT
        config[f"{NS}:tlsPrivateKey"] = TEST_KEY
        secret_keys.append(f"{NS}:tlsPrivateKey")
    if stack == "prod":
        config[f"{NS}:kongAdminUrl"] = PROD_ADMIN_TUNNEL
    config.update({f"{NS}:{k}": v for k, v in overrides.items()})
    if stack in K8S_STACKS and config.get(f"{NS}:mode") == "db":
        # DB mode on Kubernetes: the operator's external Postgres and Admin API port-forward.
        config.setdefault(f"{NS}:k8sPostgresUrl", K8S_POSTGRES_URL)
        config.setdefault(f"{NS}:kongAdminUrl", K8S_ADMIN_FORWARD)
    return config, secret_keys


@functools.cache
def cached_run(stack: str, overrides: tuple[tuple[str, str], ...] = ()) -> Run:
    config, secret_keys = stack_config(stack, **dict(overrides))
    return run_main(stack, config, secret_keys)


PLATFORM = "platform"
"""The component's name in __main__.py; its children are named ``platform-<role>``."""


def role(name: str) -> str:
    """A platform child's role (``platform-kong-1`` -> ``kong-1``); other names unchanged."""
    return name.removeprefix(f"{PLATFORM}-")


def containers(run: Run) -> dict[str, Registration]:
    """Containers by role."""
    return {role(r.name): r for r in run.of_type(CONTAINER)}


def child(run: Run, role_name: str) -> Registration:
    return run.named(f"{PLATFORM}-{role_name}")


def env_of(container: Registration) -> dict[str, Any]:
    """NAME -> value; a secret entry maps to ``Secret(value)``."""
    out: dict[str, Any] = {}
    for entry in container.inputs.get("envs", []):
        if isinstance(entry, Secret):
            name, _, value = entry.value.partition("=")
            out[name] = Secret(value)
        else:
            name, _, value = entry.partition("=")
            out[name] = value
    return out


def ports_of(container: Registration) -> list[tuple[int, int, str]]:
    return [(int(p["internal"]), int(p["external"]), p["ip"]) for p in container.inputs.get("ports", [])]


def uploads_of(container: Registration) -> dict[str, Any]:
    """file -> content (``Secret`` when secret)."""
    return {u["file"]: u.get("content") for u in container.inputs.get("uploads", [])}


def labels_of(container: Registration) -> dict[str, Any]:
    return {entry["label"]: entry["value"] for entry in container.inputs.get("labels", [])}


def dep_names(run: Run, resource: Registration) -> set[str]:
    """Names (platform children: roles) of what ``resource`` depends on."""
    return {role(run.by_urn(urn).name) for urn in resource.dependencies}


INIT_ERROR_KEY = "#initerror"
"""The key the engine adds to a diff when the old state holds init errors (pulumi pkg/resource/deploy/
step_generator.go, ``initErrorSpecialKey``)."""


def _path_contains(path: str, key: str) -> bool:
    """``resource.PropertyPath.Contains`` (sdk/go/common/resource/properties_path.go) for a top-level ``key``
    and the dotted paths this program uses: every element equal, or ``*``."""
    elements = path.split(".")
    return len(elements) <= 1 and elements[0] in ("*", key)


def replaced_on(resource: Registration, key: str) -> bool:
    """Whether the engine turns a change of ``key`` (or, with ``INIT_ERROR_KEY``, an init error in the old state)
    into a replacement: ``applyReplaceOnChanges`` marks it when a ``replace_on_changes`` path contains it."""
    return any(_path_contains(path, key) for path in resource.options["replace_on_changes"])
