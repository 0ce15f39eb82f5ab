"""DB mode: Kong's migrations as Jobs around the rollout, as Kong/charts does (``migrations.preUpgrade``
runs ``kong migrations up`` before the new pods, ``postUpgrade`` runs ``kong migrations finish`` after).

``bootstrap && up`` runs before the Deployment changes (the Deployment depends on it: pulumi-kubernetes
waits for a Job to succeed and fails the update when it does not, so a failed migration stops the rollout
with the old pods still serving). ``finish`` runs once the rollout is over: old Kong versions may still need
the columns it removes. Both use the Kong image, so a Kong upgrade replaces both Jobs and migrates again.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from gateway.platform.kubernetes import names, pods
from gateway.platform.kubernetes.settings import KubernetesSettings

BACKOFF_LIMIT = 3
DEADLINE_SECONDS = 900
REPLACE_UNREADY = {"pulumi.com/replaceUnready": "true"}
"""pulumi-kubernetes' annotation: a Job that failed is replaced (run again) by the next ``pulumi up``
instead of being waited on again (pulumi_kubernetes batch/v1 Job docstring)."""


def create_job(resource: str, name: str, command: str, *, namespace: pulumi.Input[str], image: str,
               env: dict[str, str], settings: KubernetesSettings, depends_on: Sequence[pulumi.Resource],
               parent: pulumi.Resource) -> k8s.batch.v1.Job:
    container = k8s.core.v1.ContainerArgs(
        name="migrations", image=image, command=["sh", "-c", command],
        env=[*pods.plain_env(env), pods.secret_env("KONG_PG_PASSWORD", names.PG_PASSWORD_KEY)],
        resources=pods.resources("100m", settings.kong_cpu_limit, "512Mi"),
        security_context=pods.container_security(names.KONG_UID),
        volume_mounts=pods.scratch_mounts(),
    )
    return k8s.batch.v1.Job(
        resource,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=names.labels(names.MIGRATIONS),
                                            annotations=REPLACE_UNREADY),
        spec=k8s.batch.v1.JobSpecArgs(
            backoff_limit=BACKOFF_LIMIT,
            active_deadline_seconds=DEADLINE_SECONDS,
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=names.labels(names.MIGRATIONS)),
                spec=k8s.core.v1.PodSpecArgs(
                    restart_policy="Never", containers=[container], volumes=pods.scratch_volumes(),
                    security_context=pods.pod_security(names.KONG_UID), automount_service_account_token=False,
                ),
            ),
        ),
        # A Job's template cannot change: a new image replaces the Job, and its fixed name must be free first.
        # pulumi-kubernetes waits 10 minutes for a Job by default: as long as the Job's own deadline here.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on), delete_before_replace=True,
                                    custom_timeouts=pulumi.CustomTimeouts(create=f"{DEADLINE_SECONDS}s",
                                                                          update=f"{DEADLINE_SECONDS}s")),
    )
