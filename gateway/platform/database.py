"""Postgres (Kong's database) and the one-shot migration container that gates Kong."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_docker as docker

from gateway.platform import kongconf, naming
from gateway.platform.children import Children
from gateway.platform.health import HEALTHCHECK_TAKES_EFFECT
from gateway.secrets import secret

PGDATA = "/var/lib/postgresql/data"
ATTEMPT_ENV = "AI4V_MIGRATIONS_ATTEMPT"
_MARKER = "ai4v-migrations: attempt"
_MARKER_LINE = re.compile(rf"{_MARKER} (\d+)( ok)?")
MIGRATIONS_SCRIPT = (f'echo "{_MARKER} ${ATTEMPT_ENV}" && {kongconf.MIGRATIONS_COMMAND} '
                     f'&& echo "{_MARKER} ${ATTEMPT_ENV} ok"')
"""Kong's migrations between two log lines that say which attempt ran and whether it got to the end."""

POSTGRES_HEALTHCHECK = ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", naming.POSTGRES_USER, "-d", naming.POSTGRES_DB]
"""Over TCP: on first start the image's entrypoint runs a temporary server on the Unix socket only
(``listen_addresses=''``) while it creates the database; a socket check would report healthy then and
let migrations start against a server about to stop."""


def create_postgres(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                    password: pulumi.Output[str], protect_data: bool,
                    children: Children) -> tuple[docker.Volume, docker.Container]:
    """Postgres on a named volume, healthy when ``pg_isready`` answers over TCP.

    With ``protect_data`` (prod) the volume is protected (``pulumi destroy`` and replacements stop at it)
    and retained on delete (removing it from the stack leaves it in Docker).
    """
    volume = docker.Volume(
        children.name("postgres-data"),
        name=naming.resource_name(stack, "postgres-data"),
        labels=[docker.VolumeLabelArgs(label="ai4v.stack", value=stack)],
        opts=children.opts("postgres-data", protect=protect_data, retain_on_delete=protect_data),
    )
    container = docker.Container(
        children.name("postgres"),
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
            tests=POSTGRES_HEALTHCHECK, interval="5s", timeout="5s", retries=12, start_period="10s",
        ),
        wait=True,
        wait_timeout=120,
        restart="unless-stopped",
        # Fixed container names: the old container must go before its replacement is created.
        opts=children.opts("postgres", delete_before_replace=True, replace_on_changes=HEALTHCHECK_TAKES_EFFECT),
    )
    return volume, container


def next_attempt(log_lines: Sequence[str] | None) -> int:
    """The attempt number the migration container should carry, from the logs of the one that exists.

    No earlier run (or no logs): 1. The last attempt reached its ``ok`` line: the same number, so nothing
    changes and nothing re-runs. Otherwise it failed: the next number, which changes the container's
    environment (ForceNew) and so runs the migrations again.
    """
    last, finished = 0, False
    for line in log_lines or []:
        match = _MARKER_LINE.search(line)
        if match:
            last, finished = int(match[1]), bool(match[2])
    if last == 0:
        return 1
    return last if finished else last + 1


def previous_logs(container_name: str) -> list[str] | None:
    """The log lines of the existing migration container; None when there is none (first deployment).

    The provider's ``docker_logs`` data source (data_source_docker_logs.go, dataSourceDockerLogsRead)
    fails when the container does not exist; that failure reaches the program as an exception.
    """
    try:
        result = docker.get_logs(name=container_name, logs_list_string_enabled=True, show_stdout=True,
                                 show_stderr=False)
    except Exception:
        return None
    return list(result.logs_list_strings or [])


def create_migrations(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                      password: pulumi.Output[str], postgres: docker.Container,
                      children: Children) -> tuple[docker.Container, pulumi.Output[str]]:
    """Run ``bootstrap && up && finish`` to completion; return the container and its gate.

    ``attach`` waits for the container to exit but ignores the exit code, and the exit code it stores is
    never read again (terraform-provider-docker resource_docker_container_funcs.go:
    resourceDockerContainerCreate waits with ContainerWait; resourceDockerContainerRead only copies
    ``State.ExitCode``). So the gate is ``exit_code.apply(require_zero_exit)``, and a failed run is retried
    by ``next_attempt`` on the next ``pulumi up``. The container uses the Kong image, so a new Kong
    version replaces it and migrates again before any node is touched.
    """
    name = naming.resource_name(stack, "migrations")
    attempt = next_attempt(previous_logs(name))
    container = docker.Container(
        children.name("migrations"),
        name=name,
        image=image,
        command=["sh", "-c", MIGRATIONS_SCRIPT],
        envs=[
            *kongconf.env_list(kongconf.migration_env()),
            f"{ATTEMPT_ENV}={attempt}",
            secret(password).apply(lambda value: f"KONG_PG_PASSWORD={value}"),
        ],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network)],
        attach=True,
        must_run=False,
        logs=True,
        restart="no",
        # Kong nodes wait on the gate through depends_on, not through an input: a replacement of this
        # container then never forces the nodes to be deleted before it (see kong.py).
        opts=children.opts("migrations", depends_on=[postgres], delete_before_replace=True),
    )
    gate = container.exit_code.apply(lambda code: kongconf.require_zero_exit(code, name))
    return container, gate
