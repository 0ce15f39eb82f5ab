"""Redis for the rate-limiting counters: in the namespace (a one-pod StatefulSet, counters in memory), or
an external host behind an ExternalName Service. Either way the Service is ``redis``, the host the spec's
rate-limiting names."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform import naming
from gateway.platform.files import REDIS_CONFIG_PATH
from gateway.platform.kubernetes import names, pods
from gateway.platform.kubernetes.config import Mounted

CONFIG_DIR, CONFIG_FILE = REDIS_CONFIG_PATH.rsplit("/", 1)


def create_external(host: str, namespace: pulumi.Input[str], parent: pulumi.Resource) -> k8s.core.v1.Service:
    return k8s.core.v1.Service(
        "redis", metadata=k8s.meta.v1.ObjectMetaArgs(name=names.REDIS, namespace=namespace,
                                                     labels=names.labels(names.REDIS)),
        spec=k8s.core.v1.ServiceSpecArgs(type="ExternalName", external_name=host),
        opts=pulumi.ResourceOptions(parent=parent))


def create_in_cluster(image: str, config: Mounted, checksum: pulumi.Input[str], namespace: pulumi.Input[str],
                      parent: pulumi.Resource) -> tuple[k8s.core.v1.Service, k8s.apps.v1.StatefulSet]:
    """The password is in the mounted redis.conf and ``REDISCLI_AUTH`` (from the Secret), never on a
    command line. ``checksum`` (keyed, ``config.checksum``) rolls the pod when the configuration changes."""
    service = k8s.core.v1.Service(
        "redis", metadata=k8s.meta.v1.ObjectMetaArgs(name=names.REDIS, namespace=namespace,
                                                     labels=names.labels(names.REDIS)),
        spec=k8s.core.v1.ServiceSpecArgs(type="ClusterIP", selector=names.selector(names.REDIS), ports=[
            k8s.core.v1.ServicePortArgs(name="redis", port=naming.REDIS_PORT, target_port=naming.REDIS_PORT,
                                        protocol="TCP")]),
        opts=pulumi.ResourceOptions(parent=parent))
    ping = k8s.core.v1.ProbeArgs(exec_=k8s.core.v1.ExecActionArgs(command=["redis-cli", "ping"]),
                                 period_seconds=5, timeout_seconds=3, failure_threshold=6)
    container = k8s.core.v1.ContainerArgs(
        name="redis", image=image, command=["redis-server", REDIS_CONFIG_PATH],
        env=[pods.secret_env("REDISCLI_AUTH", names.REDIS_PASSWORD_KEY)],
        ports=[k8s.core.v1.ContainerPortArgs(name="redis", container_port=naming.REDIS_PORT, protocol="TCP")],
        readiness_probe=ping, liveness_probe=ping,
        resources=pods.resources("100m", "500m", "256Mi"),
        security_context=pods.container_security(names.REDIS_UID),
        volume_mounts=[pods.volume_mount(config),
                       k8s.core.v1.VolumeMountArgs(name="redis-data", mount_path="/data")],
    )
    statefulset = k8s.apps.v1.StatefulSet(
        "redis-statefulset",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=names.REDIS, namespace=namespace, labels=names.labels(names.REDIS)),
        spec=k8s.apps.v1.StatefulSetSpecArgs(
            service_name=names.REDIS, replicas=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=names.selector(names.REDIS)),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=names.labels(names.REDIS),
                                                    annotations={"checksum/config": checksum}),
                spec=k8s.core.v1.PodSpecArgs(
                    containers=[container],
                    volumes=[pods.volume(config), k8s.core.v1.VolumeArgs(
                        name="redis-data", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                            size_limit=pods.EMPTY_DIR_LIMIT))],
                    security_context=pods.pod_security(names.REDIS_UID),
                    automount_service_account_token=False,
                ),
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[config.resource]),
    )
    return service, statefulset
