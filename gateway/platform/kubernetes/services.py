"""Services in front of Kong: the proxy (LoadBalancer or NodePort), the status listener (ClusterIP only:
never reachable from outside the cluster), and an optional Ingress. The Admin API has no Service: it
listens on each pod's loopback only (``kongenv.node_conf``)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform import naming
from gateway.platform.kubernetes import names
from gateway.platform.kubernetes.settings import KubernetesSettings


def _port(name: str, port: int, target: int, node_port: int = 0) -> k8s.core.v1.ServicePortArgs:
    return k8s.core.v1.ServicePortArgs(name=name, port=port, target_port=target, protocol="TCP",
                                       node_port=node_port or None)


def _service(resource: str, name: str, namespace: pulumi.Input[str], spec: k8s.core.v1.ServiceSpecArgs,
             parent: pulumi.Resource) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(resource, metadata=k8s.meta.v1.ObjectMetaArgs(
        name=name, namespace=namespace, labels=names.labels(names.KONG)), spec=spec,
        opts=pulumi.ResourceOptions(parent=parent))


def create_proxy_service(settings: KubernetesSettings, namespace: pulumi.Input[str],
                         parent: pulumi.Resource) -> k8s.core.v1.Service:
    """``externalTrafficPolicy: Local`` keeps the client's address (no SNAT to a node's): Kong's flood guard
    and rate limits count per client, not per node. The cloud balancer checks each node's health port
    and only sends to nodes with a ready Kong pod."""
    return _service("kong-proxy", names.PROXY_SERVICE, namespace, k8s.core.v1.ServiceSpecArgs(
        type=settings.proxy_service_type,
        external_traffic_policy="Local",
        selector=names.selector(names.KONG),
        ports=[_port("http", names.HTTP_PORT, naming.KONG_PROXY, settings.proxy_node_port),
               _port("https", names.HTTPS_PORT, naming.KONG_PROXY_TLS, settings.proxy_tls_node_port)],
    ), parent)


def create_status_service(namespace: pulumi.Input[str], parent: pulumi.Resource) -> k8s.core.v1.Service:
    return _service("kong-status", names.STATUS_SERVICE, namespace, k8s.core.v1.ServiceSpecArgs(
        type="ClusterIP", selector=names.selector(names.KONG),
        ports=[_port("status", naming.KONG_STATUS, naming.KONG_STATUS)],
    ), parent)


def create_ingress(settings: KubernetesSettings, host: str, namespace: pulumi.Input[str],
                   parent: pulumi.Resource) -> k8s.networking.v1.Ingress:
    """The cluster's ingress controller in front of the proxy Service. The controller terminates TLS and
    speaks plain HTTP to Kong: set trustedIps to its pods, or Kong neither sees client addresses nor
    believes X-Forwarded-Proto (HTTPS-only routes would answer 426). See docs/KUBERNETES.md."""
    return k8s.networking.v1.Ingress(
        "kong-ingress",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=names.KONG, namespace=namespace, labels=names.labels(names.KONG)),
        spec=k8s.networking.v1.IngressSpecArgs(
            ingress_class_name=settings.ingress_class,
            rules=[k8s.networking.v1.IngressRuleArgs(
                host=host,
                http=k8s.networking.v1.HTTPIngressRuleValueArgs(paths=[k8s.networking.v1.HTTPIngressPathArgs(
                    path="/", path_type="Prefix",
                    backend=k8s.networking.v1.IngressBackendArgs(service=k8s.networking.v1.IngressServiceBackendArgs(
                        name=names.PROXY_SERVICE, port=k8s.networking.v1.ServiceBackendPortArgs(name="http"))),
                )]),
            )],
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
