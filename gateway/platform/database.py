"""Postgres (Kong's database) and the one-shot migration container that gates Kong."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from gateway.platform import kongconf, naming
from gateway.secrets import secret

PGDATA = "/var/lib/postgresql/data"


def create_postgres(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                    password: pulumi.Output[str], protect_data: bool,
                    parent: pulumi.Resource) -> tuple[docker.Volume, docker.Container]:
    """Postgres on a named volume, healthy when ``pg_isready`` answers.

    With ``protect_data`` (prod) the volume is protected (``pulumi destroy`` and replacements stop at it)
    and retained on delete (removing it from the stack leaves it in Docker).
    """
    volume = docker.Volume(
        "postgres-data",
        name=naming.resource_name(stack, "postgres-data"),
        labels=[docker.VolumeLabelArgs(label="ai4v.stack", value=stack)],
        opts=pulumi.ResourceOptions(parent=parent, protect=protect_data, retain_on_delete=protect_data),
    )
    container = docker.Container(
        "postgres",
        name=naming.resource_name(stack, "postgres"),
        image=image,
        envs=[
            f"POSTGRES_USER={naming.POSTGRES_USER}",
            f"POSTGRES_DB={naming.POSTGRES_DB}",
            secret(password).apply(lambda value: f"POSTGRES_PASSWORD={value}"),
        ],
        volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path=PGDATA)],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network, aliases=[naming.POSTGRES_ALIAS])],
        healthcheck=docker.ContainerHealthcheckArgs(
            tests=["CMD", "pg_isready", "-U", naming.POSTGRES_USER, "-d", naming.POSTGRES_DB],
            interval="5s", timeout="5s", retries=12, start_period="10s",
        ),
        wait=True,
        wait_timeout=120,
        restart="unless-stopped",
        # Fixed container names: the old container must go before its replacement is created.
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )
    return volume, container


def create_migrations(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                      password: pulumi.Output[str], postgres: docker.Container,
                      parent: pulumi.Resource) -> tuple[docker.Container, pulumi.Output[str]]:
    """Run ``bootstrap && up && finish`` once to completion; return it and its gate.

    ``attach`` waits for the container to exit but ignores the exit code, so the gate is
    ``exit_code.apply(require_zero_exit)``: Kong takes it as an input and is not created unless it is 0.
    The container uses the Kong image, so a new Kong version replaces it and migrates again first.
    """
    name = naming.resource_name(stack, "migrations")
    container = docker.Container(
        "migrations",
        name=name,
        image=image,
        command=["sh", "-c", kongconf.MIGRATIONS_COMMAND],
        envs=[
            *kongconf.env_list(kongconf.migration_env()),
            secret(password).apply(lambda value: f"KONG_PG_PASSWORD={value}"),
        ],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network)],
        attach=True,
        must_run=False,
        logs=True,
        restart="no",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[postgres], delete_before_replace=True),
    )
    gate = container.exit_code.apply(lambda code: kongconf.require_zero_exit(code, name))
    return container, gate
