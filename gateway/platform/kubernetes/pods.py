"""Pod-level pieces shared by Kong's Deployment and the migration Jobs: security context, resources,
env from Secrets, volumes. Defaults taken from Kong/charts ``charts/kong/values.yaml``
(``containerSecurityContext``, ``securityContext``) and ``_helpers.tpl`` (``kong.volumes``)."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from gateway.platform.kubernetes import names
from gateway.platform.kubernetes.config import Mounted

EMPTY_DIR_LIMIT = "256Mi"


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


def resources(cpu_request: str, cpu_limit: str, memory: str) -> k8s.core.v1.ResourceRequirementsArgs:
    return k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": cpu_request, "memory": memory},
                                                limits={"cpu": cpu_limit, "memory": memory})


def plain_env(env: dict[str, str]) -> list[k8s.core.v1.EnvVarArgs]:
    return [k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in sorted(env.items())]


def secret_env(name: str, key: str) -> k8s.core.v1.EnvVarArgs:
    """An env variable read from the platform Secret at start: its value is in no manifest."""
    return k8s.core.v1.EnvVarArgs(name=name, value_from=k8s.core.v1.EnvVarSourceArgs(
        secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=names.PLATFORM_SECRET, key=key)))


def scratch_volumes() -> list[k8s.core.v1.VolumeArgs]:
    """Kong's prefix and /tmp on emptyDirs (Kong/charts ``kong.volumes``: ``-prefix-dir``, ``-tmp``)."""
    return [k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
        size_limit=EMPTY_DIR_LIMIT)) for name in ("kong-prefix", "kong-tmp")]


def scratch_mounts() -> list[k8s.core.v1.VolumeMountArgs]:
    return [k8s.core.v1.VolumeMountArgs(name="kong-prefix", mount_path=names.PREFIX_DIR),
            k8s.core.v1.VolumeMountArgs(name="kong-tmp", mount_path="/tmp")]


def volume(mounted: Mounted) -> k8s.core.v1.VolumeArgs:
    if mounted.secret:
        return k8s.core.v1.VolumeArgs(name=mounted.name, secret=k8s.core.v1.SecretVolumeSourceArgs(
            secret_name=mounted.name, default_mode=0o440))
    return k8s.core.v1.VolumeArgs(name=mounted.name, config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
        name=mounted.name, default_mode=0o444))


def volume_mount(mounted: Mounted) -> k8s.core.v1.VolumeMountArgs:
    return k8s.core.v1.VolumeMountArgs(name=mounted.name, mount_path=mounted.mount_path, read_only=True)
