"""Kong's Deployment (rolling, probed, spread over nodes), its PodDisruptionBudget and optional HPA.

Probes and lifecycle follow Kong/charts ``charts/kong/values.yaml``: readiness on ``/status/ready`` (Kong 3.9.3
kong/status/ready.lua: 200 once the router and plugins are built and, DB-less, a configuration is loaded),
liveness on ``/status``, ``preStop: kong quit --wait=15`` (15 s for the endpoints to drop the pod). The grace
is the Docker nodes' (``kongconf.DRAIN_SECONDS``), not the chart's 30 s: after its wait, ``kong quit`` sends
SIGQUIT and forces a stop after ``--timeout`` (kong/cmd/quit.lua, default 10 s), which would cut a 50 MB upload
or a pipeline request waiting on its 300 s read timeout. An idle pod still stops at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform import kongconf, naming
from gateway.platform.kubernetes import names, pods
from gateway.platform.kubernetes.config import Mounted
from gateway.platform.kubernetes.plugins import PluginMounts
from gateway.platform.kubernetes.settings import KubernetesSettings

STATUS_PORT_NAME = "status"
MAX_SURGE = "25%"
"""Rounded up: at least one extra pod during a rollout; with ``maxUnavailable: 0`` the old pods stay
until new ones are ready, so capacity never drops."""
REPLICAS_PATH = "spec.replicas"
PATCH_FORCE = "pulumi.com/patchForce"
"""Handing ``replicas`` over to the autoscaler and back (server-side apply).

Dropping ``replicas`` from the applied object while pulumi-kubernetes' field manager alone owns it makes
the API server reset it to the default, 1. So the count stays in the object and, with an autoscaler,
``ignore_changes`` covers it: pulumi-kubernetes then sends the live value while it still owns the field,
and leaves the field out once another manager (the HPA, scaling through ``/scale``) owns it alone
(pulumi/pulumi-kubernetes provider/pkg/await/await.go ``handleSSAIgnoreFields``): the count is handed
over as the Kubernetes docs' "Transferring ownership" does, with no apply that removes it. Back to a
fixed count, the HPA's manager still owns ``replicas``: ``pulumi.com/patchForce`` takes it back instead
of failing on the conflict (await.go ``patchForce``)."""
QUIT_WAIT_SECONDS = 15
GRACE_SECONDS = QUIT_WAIT_SECONDS + kongconf.DRAIN_SECONDS + 5
"""The wait, the drain ``kong quit`` allows, and a moment for it to return before the kubelet's SIGKILL."""


@dataclass
class KongWorkload:
    namespace: pulumi.Input[str]
    image: str
    settings: KubernetesSettings
    env: dict[str, str]
    secret_env: list[tuple[str, str]]
    """(variable, key of the platform Secret)."""
    mounts: list[Mounted]
    plugins: PluginMounts
    checksum: pulumi.Input[str]
    depends_on: Sequence[pulumi.Resource]
    body_temp_bytes: int
    """Size of the volume nginx spills bodies to (``pods.body_temp_bytes``)."""


def probe(path: str) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=STATUS_PORT_NAME, scheme="HTTP"),
        initial_delay_seconds=5, timeout_seconds=5, period_seconds=10, success_threshold=1, failure_threshold=3)


def container_ports() -> list[k8s.core.v1.ContainerPortArgs]:
    return [
        k8s.core.v1.ContainerPortArgs(name="proxy", container_port=naming.KONG_PROXY, protocol="TCP"),
        k8s.core.v1.ContainerPortArgs(name="proxy-tls", container_port=naming.KONG_PROXY_TLS, protocol="TCP"),
        k8s.core.v1.ContainerPortArgs(name=STATUS_PORT_NAME, container_port=naming.KONG_STATUS, protocol="TCP"),
    ]


def spread() -> list[k8s.core.v1.TopologySpreadConstraintArgs]:
    """At most one pod of difference between nodes (hard), and between zones where there are zones (soft)."""
    selector = k8s.meta.v1.LabelSelectorArgs(match_labels=names.selector(names.KONG))
    return [
        k8s.core.v1.TopologySpreadConstraintArgs(max_skew=1, topology_key="kubernetes.io/hostname",
                                                 when_unsatisfiable="DoNotSchedule", label_selector=selector),
        k8s.core.v1.TopologySpreadConstraintArgs(max_skew=1, topology_key="topology.kubernetes.io/zone",
                                                 when_unsatisfiable="ScheduleAnyway", label_selector=selector),
    ]


def create_deployment(w: KongWorkload, parent: pulumi.Resource) -> k8s.apps.v1.Deployment:
    s = w.settings
    plugin_empty_dirs = sum(1 for volume in w.plugins.volumes if volume.empty_dir is not None)
    container = k8s.core.v1.ContainerArgs(
        name="kong",
        image=w.image,
        env=[*pods.plain_env(w.env), *(pods.secret_env(var, key) for var, key in w.secret_env)],
        ports=container_ports(),
        readiness_probe=probe("/status/ready"),
        liveness_probe=probe("/status"),
        lifecycle=k8s.core.v1.LifecycleArgs(pre_stop=k8s.core.v1.LifecycleHandlerArgs(
            exec_=k8s.core.v1.ExecActionArgs(command=["kong", "quit", f"--wait={QUIT_WAIT_SECONDS}",
                                                        f"--timeout={kongconf.DRAIN_SECONDS}"]))),
        resources=pods.resources(s.kong_cpu_request, s.kong_cpu_limit, s.kong_memory,
                                 pods.kong_storage(w.body_temp_bytes, plugin_empty_dirs)),
        security_context=pods.container_security(names.KONG_UID),
        volume_mounts=[*pods.scratch_mounts(), pods.body_temp_mount(), *w.plugins.mounts,
                       *(pods.volume_mount(m) for m in w.mounts)],
    )
    template = k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(
            labels=names.labels(names.KONG),
            annotations={
                "checksum/config": w.checksum,
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(naming.KONG_STATUS),
                "prometheus.io/path": "/metrics",
            },
        ),
        spec=k8s.core.v1.PodSpecArgs(
            init_containers=w.plugins.init_containers or None,
            containers=[container],
            volumes=[*pods.scratch_volumes(), pods.body_temp_volume(w.body_temp_bytes), *w.plugins.volumes,
                     *(pods.volume(m) for m in w.mounts)],
            security_context=pods.pod_security(names.KONG_UID),
            topology_spread_constraints=spread(),
            termination_grace_period_seconds=GRACE_SECONDS,
            automount_service_account_token=False,  # Kong does not talk to the Kubernetes API
        ),
    )
    autoscaled = bool(s.hpa_max_replicas)
    return k8s.apps.v1.Deployment(
        names.KONG,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=names.KONG, namespace=w.namespace, labels=names.labels(names.KONG),
                                            annotations=None if autoscaled else {PATCH_FORCE: "true"}),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=s.replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=names.selector(names.KONG)),
            strategy=k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=MAX_SURGE),
            ),
            min_ready_seconds=5,
            revision_history_limit=5,
            template=template,
        ),
        # pulumi-kubernetes waits for the rollout to finish: whoever depends on it sees ready Kong pods.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(w.depends_on),
                                    ignore_changes=[REPLICAS_PATH] if autoscaled else None),
    )


def create_disruption_budget(namespace: pulumi.Input[str],
                             parent: pulumi.Resource) -> k8s.policy.v1.PodDisruptionBudget:
    """A node drain evicts one Kong pod at a time (and none while another is not ready)."""
    return k8s.policy.v1.PodDisruptionBudget(
        "kong-pdb",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=names.KONG, namespace=namespace, labels=names.labels(names.KONG)),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=names.selector(names.KONG))),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def create_autoscaler(settings: KubernetesSettings, namespace: pulumi.Input[str], deployment: k8s.apps.v1.Deployment,
                      parent: pulumi.Resource) -> k8s.autoscaling.v2.HorizontalPodAutoscaler:
    """CPU-based, between ``k8sReplicas`` and ``k8sHpaMaxReplicas`` (needs metrics-server in the cluster)."""
    return k8s.autoscaling.v2.HorizontalPodAutoscaler(
        "kong-hpa",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=names.KONG, namespace=namespace, labels=names.labels(names.KONG)),
        spec=k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
            scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
                api_version="apps/v1", kind="Deployment", name=names.KONG),
            min_replicas=settings.replicas,
            max_replicas=settings.hpa_max_replicas,
            metrics=[k8s.autoscaling.v2.MetricSpecArgs(
                type="Resource",
                resource=k8s.autoscaling.v2.ResourceMetricSourceArgs(
                    name="cpu", target=k8s.autoscaling.v2.MetricTargetArgs(
                        type="Utilization", average_utilization=settings.hpa_cpu_percent)),
            )],
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[deployment]),
    )
