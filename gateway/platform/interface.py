"""The platform boundary: what ``__main__.py``, the Kong entities and the exports need from the platform
Kong runs on, whichever it is (``ai4v-gateway:platform``: ``docker`` or ``kubernetes``).

- ``admin_url``: where pulumi-kong writes in DB mode (None when nobody can reach it);
- ``kong_nodes``: what the Kong entities wait for (containers healthy / Deployment rolled out);
- ``PlatformExports``: the addresses the stack exports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gateway.kong import vault
from gateway.platform import naming
from gateway.platform.docker import ports

if TYPE_CHECKING:
    import pulumi  # annotations only: the CLI (validate) imports this module, and needs no Pulumi

    from gateway.spec.models import GatewaySpec
    from gateway.stack.settings import StackSettings


@runtime_checkable
class GatewayPlatform(Protocol):
    """Satisfied by ``gateway.platform.docker.component.DockerPlatform`` and ``KubernetesPlatform``."""

    @property
    def admin_url(self) -> pulumi.Output[str | None]: ...

    @property
    def kong_nodes(self) -> Sequence[pulumi.Resource]: ...


@dataclass(frozen=True)
class PlatformExports:
    proxy_urls: pulumi.Input[list[str]]
    proxy_tls_urls: pulumi.Input[list[str]]
    manager_url: str | None
    metrics_urls: pulumi.Input[list[str]]


@dataclass(frozen=True)
class Platform:
    component: GatewayPlatform
    exports: PlatformExports


@dataclass
class PlatformArgs:
    spec: GatewaySpec
    stack: str
    settings: StackSettings
    secrets: Mapping[str, pulumi.Output[str]]
    """Secret Outputs by name: the spec's and ``platform_secret_names(mode)``."""
    tls_private_key: pulumi.Input[str] | None = None
    """``ai4v-gateway:tlsPrivateKey`` (secret), with ``settings.tls_certificate``."""


def vault_secret_names(args: PlatformArgs) -> set[str]:
    """The plugin secrets Kong reads from its environment (vault references), after checking that every
    secret the platform needs has a value. Raises ValueError naming the missing ones."""
    vault_names = vault.plugin_secret_names(args.spec)
    needed = platform_secret_names(args.settings.mode) | vault_names | (
        args.spec.secret_names() if args.settings.mode == "dbless" else set())
    missing = needed - set(args.secrets)
    if missing:
        raise ValueError(f"no value for secret(s): {', '.join(sorted(missing))}")
    return vault_names


def platform_secret_names(mode: str) -> set[str]:
    """Secrets the platform itself needs (both platforms: a Postgres password in DB mode, Redis's always)."""
    return naming.platform_secret_names(mode)


@dataclass(frozen=True)
class DeployProblem:
    key: str
    """The config key (without namespace) to change."""
    message: str


def deploy_problem(settings: StackSettings, stack: str) -> DeployProblem | None:
    """What stops the settings from deploying on their platform (DB mode without a way to the Admin API,
    a Docker-only feature on Kubernetes), else None."""
    if settings.platform == "docker":
        docker = ports.admin_unreachable_error(settings, stack)
        return DeployProblem("kongAdminUrl", docker) if docker else None
    if settings.docker.demo_backends:
        return DeployProblem("demoBackends", "the demo echo backends run on the Docker platform only; set it to "
                             "false on Kubernetes and point the upstreams' targets at your services")
    if settings.mode != "db":
        return None
    if settings.kubernetes.postgres_url is None:
        return DeployProblem("k8sPostgresUrl", "not set: DB mode on Kubernetes runs against an external Postgres "
                             "(postgres://USER@HOST:PORT/DATABASE, password in the secret "
                             "ai4v-gateway:postgresPassword)")
    if settings.kong_admin_url is None:
        namespace = settings.kubernetes.namespace_for(stack)
        return DeployProblem("kongAdminUrl", (
            "not set: the Admin API listens on each Kong pod's loopback only. Forward it "
            f"(`kubectl -n {namespace} port-forward deploy/kong 8001:8001`), then `pulumi config set "
            "ai4v-gateway:kongAdminUrl http://127.0.0.1:8001`"))
    return None
