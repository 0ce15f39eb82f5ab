"""NetworkPolicies of the namespace: nothing comes in unless allowed; only Kong reaches Redis; nothing
reaches the Admin API (it listens on each pod's loopback only); Redis reaches nothing.

Postgres is outside the cluster: the namespace's only pods with a way out to it are Kong and the
migration Jobs (Redis has no egress at all); restricting who else may connect is the database's own
firewall / ``pg_hba.conf`` (see docs/DOCKER.md).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform import naming
from gateway.platform.kubernetes import names


def _policy(name: str, namespace: pulumi.Input[str], spec: k8s.networking.v1.NetworkPolicySpecArgs,
            parent: pulumi.Resource) -> k8s.networking.v1.NetworkPolicy:
    return k8s.networking.v1.NetworkPolicy(
        f"netpol-{name}", metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace,
                                                             labels=names.labels("network-policy")),
        spec=spec, opts=pulumi.ResourceOptions(parent=parent))


def _pods(component: str) -> k8s.meta.v1.LabelSelectorArgs:
    return k8s.meta.v1.LabelSelectorArgs(match_labels=names.selector(component))


def _tcp(*ports: int) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol="TCP") for port in ports]


def create_policies(namespace: pulumi.Input[str], in_cluster_redis: bool,
                    parent: pulumi.Resource) -> list[k8s.networking.v1.NetworkPolicy]:
    policies = [
        # Every pod of the namespace: no ingress unless a policy below allows it.
        _policy("default-deny-ingress", namespace, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress"]), parent),
        _policy("kong", namespace, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_pods(names.KONG), policy_types=["Ingress"],
            ingress=[
                # The proxy is the gateway: from anywhere (the balancer keeps client addresses).
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(ports=_tcp(naming.KONG_PROXY, naming.KONG_PROXY_TLS)),
                # The status listener (/status, /metrics): probes come from the kubelet (not subject to
                # policies); Prometheus from anywhere in the cluster.
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    ports=_tcp(naming.KONG_STATUS),
                    from_=[k8s.networking.v1.NetworkPolicyPeerArgs(
                        namespace_selector=k8s.meta.v1.LabelSelectorArgs())]),
                # No rule for the Admin API: it listens on the pod's loopback only (kongenv.node_conf).
            ]), parent),
    ]
    if in_cluster_redis:
        policies.append(_policy("redis", namespace, k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=_pods(names.REDIS), policy_types=["Ingress", "Egress"],
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                ports=_tcp(naming.REDIS_PORT),
                from_=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=_pods(names.KONG))])],
            egress=[],  # Redis opens no connection
        ), parent))
    return policies
