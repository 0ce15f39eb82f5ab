"""Kong nodes: the containers, their uploads (plugin, TLS, declarative config) and health gate."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from gateway.platform import kongconf, naming
from gateway.platform.tls import ProxyTls
from gateway.secrets import secret


@dataclass
class KongNodeInputs:
    stack: str
    index: int
    image: pulumi.Input[str]
    network: pulumi.Input[str]
    conf: kongconf.KongNodeConf
    ports: list[naming.PortMapping]
    tls: ProxyTls
    pg_password: pulumi.Output[str] | None
    """DB mode only."""
    declarative: pulumi.Output[str] | None
    """DB-less mode only: the rendered kong.yml, a secret Output."""
    migrations_gate: pulumi.Output[str] | None
    """DB mode only: "0" once migrations exited 0 (raises otherwise)."""
    wait_timeout: int
    depends_on: Sequence[pulumi.Resource]
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


def create_node(args: KongNodeInputs, parent: pulumi.Resource) -> docker.Container:
    role = naming.kong_role(args.index)
    envs: list[pulumi.Input[str]] = list(kongconf.env_list(kongconf.kong_env(args.conf)))
    if args.pg_password is not None:
        envs.append(secret(args.pg_password).apply(lambda value: f"KONG_PG_PASSWORD={value}"))
    envs.extend(args.secret_env)

    uploads = [
        *plugin_uploads(),
        *nginx_uploads(args.conf),
        docker.ContainerUploadArgs(file=kongconf.TLS_CERT_PATH, content=args.tls.certificate, permissions="0644"),
        docker.ContainerUploadArgs(file=kongconf.TLS_KEY_PATH, content=args.tls.private_key, permissions="0644"),
    ]
    labels = [
        docker.ContainerLabelArgs(label="ai4v.role", value="kong"),
        docker.ContainerLabelArgs(label="ai4v.node", value=str(args.index)),
    ]
    if args.declarative is not None:
        uploads.append(docker.ContainerUploadArgs(file=kongconf.DECLARATIVE_PATH, content=args.declarative,
                                                  permissions="0644"))
        # A digest of the config (not reversible: it covers 40-character random keys) shows in
        # `docker inspect` which config a node runs; replace_on_changes below makes any change restart Kong.
        labels.append(docker.ContainerLabelArgs(
            label="ai4v.declarative-sha256", value=pulumi.Output.unsecret(args.declarative.apply(sha256))))
    if args.migrations_gate is not None:
        labels.append(docker.ContainerLabelArgs(label="ai4v.migrations-exit-code", value=args.migrations_gate))

    return docker.Container(
        role,
        name=naming.resource_name(args.stack, role),
        hostname=role,
        image=args.image,
        envs=envs,
        uploads=uploads,
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
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(args.depends_on),
            # Uploads are copied in at creation: new plugin code, certificate or kong.yml needs a new container.
            replace_on_changes=["uploads", "labels"],
            delete_before_replace=True,  # a node's host ports cannot be held by two containers
        ),
    )
