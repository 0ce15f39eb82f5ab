"""Pod-level pieces shared by Kong's Deployment and the migration Jobs: security context, resources,
env from Secrets, volumes. Defaults taken from Kong/charts ``charts/kong/values.yaml``
(``containerSecurityContext``, ``securityContext``) and ``_helpers.tpl`` (``kong.volumes``)."""

from __future__ import annotations

import math

import pulumi_kubernetes as k8s

from gateway.platform.kubernetes import names
from gateway.platform.kubernetes.config import Mounted

MI = 1 << 20
EMPTY_DIR_BYTES = 256 * MI
EMPTY_DIR_LIMIT = f"{EMPTY_DIR_BYTES // MI}Mi"
SCRATCH_VOLUMES = ("kong-prefix", "kong-tmp")
BODY_TEMP_VOLUME = "kong-body-temp"
LOG_ROOM_BYTES = 128 * MI
"""Ephemeral storage for the container's own logs (kubelet counts them against the container's limit)."""


def container_security(uid: int) -> k8s.core.v1.SecurityContextArgs:
    """Kong/charts ``containerSecurityContext``: read-only root, no privilege escalation, no capability."""
    return k8s.core.v1.SecurityContextArgs(
        read_only_root_filesystem=True, allow_privilege_escalation=False, run_as_user=uid, run_as_group=uid,
        run_as_non_root=True, capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def pod_security(uid: int) -> k8s.core.v1.PodSecurityContextArgs:
    """``fs_group`` makes the mounted Secret files (mode 0440) readable by the container's group."""
    return k8s.core.v1.PodSecurityContextArgs(
        fs_group=uid, seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"))


def resources(cpu_request: str, cpu_limit: str, memory: str,
              storage: tuple[str, str] | None = None) -> k8s.core.v1.ResourceRequirementsArgs:
    """``storage``: (request, limit) of ephemeral-storage, for a container that writes to emptyDirs."""
    requests, limits = {"cpu": cpu_request, "memory": memory}, {"cpu": cpu_limit, "memory": memory}
    if storage is not None:
        requests["ephemeral-storage"], limits["ephemeral-storage"] = storage
    return k8s.core.v1.ResourceRequirementsArgs(requests=requests, limits=limits)


def mebibytes(size: int) -> str:
    """Bytes as a Kubernetes quantity, rounded up to whole MiB."""
    return f"{math.ceil(size / MI)}Mi"


def body_temp_bytes(max_body_size: int, concurrent_uploads: int) -> int:
    """Room for ``concurrent_uploads`` requests each spilling a body of up to ``max_body_size`` to
    ``client_body_temp_path`` and a buffered response of up to the same size to ``proxy_temp_path``
    (``proxy_max_temp_file_size``, kongenv)."""
    return 2 * max_body_size * concurrent_uploads


def kong_storage(body_bytes: int, other_empty_dirs: int) -> tuple[str, str]:
    """Kong's ephemeral-storage (request, limit): its emptyDirs at their size limits (the body volume, the
    scratch ones and ``other_empty_dirs`` more of ``EMPTY_DIR_LIMIT``), plus its logs. The scheduler
    reserves the request on the node; the kubelet evicts the pod beyond a volume's or the pod's limit."""
    volumes = body_bytes + (len(SCRATCH_VOLUMES) + other_empty_dirs) * EMPTY_DIR_BYTES
    return mebibytes(volumes), mebibytes(volumes + LOG_ROOM_BYTES)


def plain_env(env: dict[str, str]) -> list[k8s.core.v1.EnvVarArgs]:
    return [k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(env.items())]


def secret_env(name: str, key: str) -> k8s.core.v1.EnvVarArgs:
    """An env variable read from the platform Secret at start: its value is in no manifest."""
    return k8s.core.v1.EnvVarArgs(name=name, value_from=k8s.core.v1.EnvVarSourceArgs(
        secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=names.PLATFORM_SECRET, key=key)))


def scratch_volumes() -> list[k8s.core.v1.VolumeArgs]:
    """Kong's prefix and /tmp on emptyDirs (Kong/charts ``kong.volumes``: ``-prefix-dir``, ``-tmp``)."""
    return [k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
        size_limit=EMPTY_DIR_LIMIT)) for name in SCRATCH_VOLUMES]


def scratch_mounts() -> list[k8s.core.v1.VolumeMountArgs]:
    return [k8s.core.v1.VolumeMountArgs(name="kong-prefix", mount_path=names.PREFIX_DIR),
            k8s.core.v1.VolumeMountArgs(name="kong-tmp", mount_path="/tmp")]


def body_temp_volume(body_bytes: int) -> k8s.core.v1.VolumeArgs:
    """The bodies nginx spills (kongenv's temp paths): without it they land in the prefix's emptyDir
    (nginx's compiled-in ``client_body_temp`` is relative to ``-p <prefix>``), and a few concurrent large
    uploads pass its limit and get the pod evicted."""
    return k8s.core.v1.VolumeArgs(name=BODY_TEMP_VOLUME, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
        size_limit=mebibytes(body_bytes)))


def body_temp_mount() -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=BODY_TEMP_VOLUME, mount_path=names.BODY_TEMP_DIR)


def volume(mounted: Mounted) -> k8s.core.v1.VolumeArgs:
    if mounted.secret:
        return k8s.core.v1.VolumeArgs(name=mounted.name, secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=mounted.name, default_mode=0o440))
    return k8s.core.v1.VolumeArgs(name=mounted.name, config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
        name=mounted.name, default_mode=0o444))


def volume_mount(mounted: Mounted) -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=mounted.name, mount_path=mounted.mount_path, read_only=True)
