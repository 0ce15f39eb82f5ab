"""Helpers of the Kubernetes platform tests: mocked runs of Kubernetes stacks, objects as manifests."""

from __future__ import annotations

import functools
from typing import Any

from platform_helpers import K8S_STACKS, stack_config
from pulumi_harness import Registration, Run, reveal, run_main

K8S_STACK = K8S_STACKS[0] if K8S_STACKS else "k8s-example"
VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "dbless": (),
    "db": (("mode", "db"),),
    "nodeport-ingress-external-redis": (
        ("k8sProxyServiceType", "NodePort"), ("k8sProxyNodePort", "30080"), ("k8sProxyTlsNodePort", "30443"),
        ("k8sIngressHost", "api.ai4v.example"), ("k8sIngressClass", "nginx"),
        ("k8sRedisHost", "redis.cache.example.internal"), ("k8sHpaMaxReplicas", "0")),
}
"""Between them, every kind of object the platform can create."""


@functools.cache
def k8s_run(variant: str = "dbless", stack: str = K8S_STACK) -> Run:
    config, secret_keys = stack_config(stack, **dict(VARIANTS[variant]))
    return run_main(stack, config, secret_keys)


def k8s_objects(run: Run) -> list[Registration]:
    return [r for r in run.resources if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:")]


def _ints(value: Any) -> Any:
    """Numbers travel to the engine as floats; a manifest has integers where they are whole."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def manifest(resource: Registration) -> dict[str, Any]:
    """The object as ``kubectl apply`` would send it (secrets revealed: for validation only)."""
    return dict(_ints(reveal(resource.inputs)))


def one(run: Run, kind: str, name: str) -> dict[str, Any]:
    found = [manifest(r) for r in k8s_objects(run)
             if r.inputs.get("kind") == kind and reveal(r.inputs["metadata"]).get("name") == name]
    assert len(found) == 1, f"{len(found)} {kind} named {name}"
    return found[0]


def kong_container(run: Run) -> dict[str, Any]:
    [container] = one(run, "Deployment", "kong")["spec"]["template"]["spec"]["containers"]
    return dict(container)


def env(container: dict[str, Any]) -> dict[str, Any]:
    """NAME -> value, or ``("secret", secret name, key)`` for a secretKeyRef."""
    out: dict[str, Any] = {}
    for entry in container["env"]:
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        out[entry["name"]] = ("secret", ref["name"], ref["key"]) if ref else entry["value"]
    return out
