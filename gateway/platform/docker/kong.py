"""Kong nodes: the containers, their uploads (plugin, TLS, declarative config), health gate and rolling order.

Rolling replacement: node i depends on node i-1 (resource option), and every node waits until healthy
(``wait``). A change that replaces nodes (image, env, uploads, labels, health check: ForceNew in
terraform-provider-docker's container schema, or ``replace_on_changes``) therefore replaces node 1, waits
for it to be healthy, then node 2, and so on: the engine registers node i only once node i-1's
registration has finished. Nothing takes a property from a node, so replacing one (delete-before-replace,
it holds fixed host ports) never forces anything else to be replaced first.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from gateway.platform import kongconf, naming
from gateway.platform.children import Children
from gateway.platform.docker.health import HEALTHCHECK_TAKES_EFFECT
from gateway.platform.tls import ProxyTls
from gateway.secrets import secret

SECRET_FILE_MODE = "0640"
"""TLS key and DB-less kong.yml. The provider writes uploads as root:root with only a mode
(resource_docker_container_funcs.go, resourceDockerContainerCreate: tar header Name/Mode/Size), and the
kong image runs as user ``kong``; group 0 (``group_adds``) lets Kong read them, nobody else in the
container can."""
KONG_READS_GROUP = "0"


@dataclass
class KongNodeInputs:
    stack: str
    index: int
    image: pulumi.Input[str]
    network: pulumi.Input[str]
    host_address: pulumi.Input[str]
    """The network's gateway, the only address allowed to use the Admin API (network.host_side_address)."""
    conf: kongconf.KongNodeConf
    ports: list[naming.PortMapping]
    tls: ProxyTls
    pg_password: pulumi.Output[str] | None
    """DB mode only."""
    declarative: pulumi.Output[str] | None
    """DB-less mode only: the rendered kong.yml, a secret Output."""
    wait_timeout: int
    secret_env: Sequence[pulumi.Input[str]] = ()
    """``VAR=value`` secret Outputs: the values behind the spec's vault references (``gateway.vault``)."""


def plugin_uploads() -> list[docker.ContainerUploadArgs]:
    return [
        docker.ContainerUploadArgs(
            file=f"{target}/{path.name}",
            content=path.read_text(encoding="utf-8"),
            permissions="0644",
        )
        for target, paths in kongconf.custom_plugin_files().items()
        for path in paths
    ]


def nginx_uploads(conf: kongconf.KongNodeConf) -> list[docker.ContainerUploadArgs]:
    return [docker.ContainerUploadArgs(file=path, content=text, permissions="0644")
            for path, text in kongconf.nginx_files(conf).items()]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def admin_access_env(host_address: pulumi.Input[str]) -> list[pulumi.Input[str]]:
    """Only connections from the Docker host (the published 127.0.0.1 port or a tunnel ending on the host)
    reach the Admin API; other containers on the network (echo backends, Redis, Postgres) get 403."""
    allowed: pulumi.Output[dict[str, str]] = pulumi.Output.from_input(host_address).apply(kongconf.admin_access_env)
    return [allowed.apply(functools.partial(_assignment, key)) for key in kongconf.admin_access_env("")]


def _assignment(key: str, env: dict[str, str]) -> str:
    return f"{key}={env[key]}"


def rolling_after(previous: docker.Container | None, waits_for: Sequence[pulumi.Resource],
                  gate: pulumi.Output[str] | None) -> pulumi.Input[Sequence[pulumi.Resource]]:
    """What a node waits for: the previous node, the platform's services, and the migrations gate.

    The gate travels in ``depends_on`` (an Output of resources): registration waits for it and fails
    when it raises, yet no node input depends on the migration container, so replacing that container
    (a new Kong image) never makes the engine delete the nodes first (it only cascades through property
    dependencies).
    """
    deps = [*waits_for, *([previous] if previous is not None else [])]
    if gate is None:
        return deps
    return gate.apply(lambda _: deps)


def create_node(args: KongNodeInputs, children: Children,
                after: pulumi.Input[Sequence[pulumi.Resource]]) -> docker.Container:
    role = naming.kong_role(args.index)
    envs: list[pulumi.Input[str]] = list(kongconf.env_list(kongconf.kong_env(args.conf)))
    envs += admin_access_env(args.host_address)
    if args.pg_password is not None:
        envs.append(secret(args.pg_password).apply(lambda value: f"KONG_PG_PASSWORD={value}"))
    envs.extend(args.secret_env)

    uploads = [
        *plugin_uploads(),
        *nginx_uploads(args.conf),
        docker.ContainerUploadArgs(file=kongconf.TLS_CERT_PATH, content=args.tls.certificate, permissions="0644"),
        docker.ContainerUploadArgs(file=kongconf.TLS_KEY_PATH, content=args.tls.private_key,
                                   permissions=SECRET_FILE_MODE),
    ]
    labels = [
        docker.ContainerLabelArgs(label="ai4v.role", value="kong"),
        docker.ContainerLabelArgs(label="ai4v.node", value=str(args.index)),
    ]
    if args.declarative is not None:
        uploads.append(docker.ContainerUploadArgs(file=kongconf.DECLARATIVE_PATH, content=args.declarative,
                                                  permissions=SECRET_FILE_MODE))
        # A digest of the config (not reversible: it covers 40-character random keys) shows in
        # `docker inspect` which config a node runs; replace_on_changes below makes any change restart Kong.
        labels.append(docker.ContainerLabelArgs(
            label="ai4v.declarative-sha256", value=pulumi.Output.unsecret(args.declarative.apply(sha256))))

    return docker.Container(
        children.name(role),
        name=naming.resource_name(args.stack, role),
        hostname=role,
        image=args.image,
        envs=envs,
        uploads=uploads,
        group_adds=[KONG_READS_GROUP],
        ports=[docker.ContainerPortArgs(internal=p.internal, external=p.external, ip=p.ip) for p in args.ports],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[role])],
        labels=labels,
        healthcheck=docker.ContainerHealthcheckArgs(
            tests=["CMD", "kong", "health"],
            interval="10s", timeout="10s", retries=10, start_period="20s",
        ),
        wait=True,
        wait_timeout=args.wait_timeout,
        restart="unless-stopped",
        opts=children.opts(
            role,
            depends_on=after,
            # Uploads are copied in at creation: new plugin code, certificate or kong.yml needs a new container.
            replace_on_changes=["uploads", "labels", *HEALTHCHECK_TAKES_EFFECT],
            delete_before_replace=True,  # a node's host ports cannot be held by two containers
        ),
    )
