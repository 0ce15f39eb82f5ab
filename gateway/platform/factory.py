"""``create_platform``: the platform component ``ai4v-gateway:platform`` names, for ``__main__.py``."""

from __future__ import annotations

from gateway.platform.docker.component import DockerPlatform
from gateway.platform.interface import Platform, PlatformArgs


def create_platform(name: str, args: PlatformArgs) -> Platform:
    if args.settings.platform == "kubernetes":
        # Imported here: pulumi-kubernetes takes ~1 s to import, which a Docker stack's preview never needs.
        from gateway.platform.kubernetes.component import KubernetesPlatform

        k8s_platform = KubernetesPlatform(name, args)
        return Platform(k8s_platform, k8s_platform.exports)
    docker_platform = DockerPlatform(name, args)
    return Platform(docker_platform, docker_platform.exports)
