"""Helpers of the Kubernetes platform tests: mocked runs of Kubernetes stacks, objects as manifests."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
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


def pod_spec(run: Run, kind: str = "Deployment", name: str = "kong") -> dict[str, Any]:
    return dict(one(run, kind, name)["spec"]["template"]["spec"])


def rollout_checksum(run: Run, kind: str = "Deployment", name: str = "kong") -> Any:
    """The pod template's ``checksum/config`` annotation as sent (a ``Secret`` if it were one)."""
    [resource] = [r for r in k8s_objects(run) if r.inputs.get("kind") == kind
                  and reveal(r.inputs["metadata"]).get("name") == name]
    return resource.inputs["spec"]["template"]["metadata"]["annotations"]["checksum/config"]


def volume_at(run: Run, path: str) -> dict[str, Any]:
    """The Kong pod's volume mounted at ``path`` in the Kong container."""
    [mount] = [m for m in kong_container(run)["volumeMounts"] if m["mountPath"] == path]
    [volume] = [v for v in pod_spec(run)["volumes"] if v["name"] == mount["name"]]
    return dict(volume)


class ApplyConflictError(Exception):
    pass


@dataclass
class ReplicasField:
    """``spec.replicas`` of a live Deployment under server-side apply, as the API server keeps it: an
    apply sets the field and makes its manager an owner (another owner with a different value is a
    conflict unless forced); an apply without the field drops its manager's ownership, and a field no
    manager owns any more is removed, so defaulting sets it to 1; an update (the HPA through ``/scale``)
    that changes the value makes its manager the only owner."""

    value: int = 0
    owners: set[str] = field(default_factory=set)

    def apply(self, manager: str, replicas: int | None, force: bool) -> None:
        if replicas is None:
            self.owners.discard(manager)
            if not self.owners:
                self.value = 1
            return
        if replicas != self.value and self.owners - {manager}:
            if not force:
                raise ApplyConflictError(f"conflict with {sorted(self.owners - {manager})} over .spec.replicas")
            self.owners = set()
        self.value = replicas
        self.owners.add(manager)

    def update(self, manager: str, replicas: int) -> None:
        if replicas != self.value:
            self.value, self.owners = replicas, {manager}


def pulumi_apply(live: ReplicasField, deployment: Registration, manager: str = "pulumi-kubernetes-1a2b") -> None:
    """pulumi-kubernetes' update of the Deployment (provider/pkg/await/await.go ``ssaUpdate``): with
    ``spec.replicas`` in ``ignore_changes`` (``handleSSAIgnoreFields``) the field is left out when other
    managers own it and this one does not, otherwise it carries the live value; ``patchForce`` forces the
    apply when the ``pulumi.com/patchForce`` annotation is "true"."""
    sent = manifest(deployment)
    replicas = sent["spec"].get("replicas")
    if "spec.replicas" in deployment.options["ignore_changes"] and live.value:  # an update, not the creation
        theirs, ours = bool(live.owners - {manager}), manager in live.owners
        replicas = None if theirs and not ours else live.value
    force = (sent["metadata"].get("annotations") or {}).get("pulumi.com/patchForce") == "true"
    live.apply(manager, replicas, force)
