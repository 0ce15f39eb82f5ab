"""Postgres (Kong's database) and Kong's migrations in two one-shot containers: ``bootstrap && up`` gates the
Kong nodes, ``finish`` runs once the last node has rolled (kongconf.MIGRATIONS_UP_COMMAND, _FINISH_COMMAND)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_docker as docker

from gateway.platform import kongconf, naming
from gateway.platform.children import Children
from gateway.platform.docker.health import REPLACE_ON_ANY_CHANGE
from gateway.stack.secrets import secret

PGDATA = "/var/lib/postgresql/data"
ATTEMPT_ENV = "AI4V_MIGRATIONS_ATTEMPT"
_MARKER = "ai4v-migrations: attempt"
_MARKER_LINE = re.compile(rf"{_MARKER} (\d+)( ok)?")
MIGRATIONS_ROLE = "migrations"
FINISH_ROLE = "migrations-finish"


def migrations_script(command: str) -> str:
    """``command`` between two stdout lines that say which attempt ran and whether it got to the end.

    Kong's own output goes to stderr (``docker logs`` shows both): the marker lines, each well under 128
    bytes, are all the stdout ``previous_logs`` reads, so every frame header it gets back is ASCII. A frame
    of 128 bytes or more has a size byte of 0x80 or more, which is not UTF-8 and cannot travel in a string.
    """
    return f'echo "{_MARKER} ${ATTEMPT_ENV}" && {{ {command}; }} >&2 && echo "{_MARKER} ${ATTEMPT_ENV} ok"'


MIGRATIONS_SCRIPT = migrations_script(kongconf.MIGRATIONS_UP_COMMAND)
FINISH_SCRIPT = migrations_script(kongconf.MIGRATIONS_FINISH_COMMAND)

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
        opts=children.opts("postgres", delete_before_replace=True, replace_on_changes=REPLACE_ON_ANY_CHANGE),
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


NO_SUCH_CONTAINER = "No such container: {name}"
"""How a missing container reaches the program, and the only failure that means "no earlier run": the Docker
daemon answers ``No such container: <name>`` (the provider itself matches "No such container" in
resource_docker_container_funcs.go, resourceDockerContainerDelete); data_source_docker_logs.go
(dataSourceDockerLogsRead) returns "dataSourceDockerLogsRead: error while asking for logs <that error>"; the
bridge returns it as the invoke's error (pulumi-terraform-bridge pkg/tfbridge/provider.go, ``Invoke``:
"invoking <token>: ..."), the engine wraps it ("invocation of <token> returned an error: ...") and the
Python SDK raises ``Exception("invoke of <token> failed: ...")`` (pulumi/runtime/invoke.py)."""
FRAME_HEADER = 8
"""Docker's multiplexed log stream (moby stdcopy; a container without a TTY): each frame is 1 byte stream
(1 stdout, 2 stderr), 3 zero bytes, the payload's size (4 bytes, big-endian), then the payload."""


class LogFormatError(kongconf.MigrationError):
    pass


def demultiplex(lines: Sequence[str], container: str = MIGRATIONS_ROLE) -> list[str]:
    """The log lines inside what ``docker_logs`` returns with ``discard_headers=False``.

    The provider reads the raw stream with a ``bufio.Scanner`` (data_source_docker_logs.go,
    dataSourceDockerLogsRead): each element is what lies between two newlines, frame headers included, with
    one ``\\r`` before the newline dropped (``bufio.ScanLines``). A header's size bytes can be a newline
    themselves (a 10-byte frame), which splits the header over two elements; ``discard_headers`` cuts 8
    bytes off every element and panics on the short one. So the stream is put back together (the elements
    joined with the newlines the scanner removed) and read frame by frame; where a dropped ``\\r`` shortened
    a payload, the next header is found up to that many bytes earlier.
    """
    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    payload = bytearray()
    at, newlines = 0, 0  # newlines: in the last payload, each one may have lost a \r before it
    while at + FRAME_HEADER <= len(data):
        if not _is_header(data, at):
            shift = next((k for k in range(1, newlines + 1) if _is_header(data, at - k)), None)
            if shift is None:
                raise LogFormatError(f"{container}: its log is not Docker's multiplexed stream (byte {at}: "
                                     f"{data[at:at + FRAME_HEADER]!r}); remove the container "
                                     f"(`docker rm {container}`) and run the command again")
            del payload[-shift:]
            at -= shift
        size = int.from_bytes(data[at + 4:at + FRAME_HEADER], "big")
        frame = data[at + FRAME_HEADER:at + FRAME_HEADER + size]
        payload += frame
        at, newlines = at + FRAME_HEADER + size, frame.count(b"\n")
    if data[at:].strip(b"\n"):
        raise LogFormatError(f"{container}: its log ends inside a frame header ({data[at:]!r}); remove the "
                             f"container (`docker rm {container}`) and run the command again")
    return payload.decode("utf-8", errors="replace").splitlines()


def _is_header(data: bytes, at: int) -> bool:
    """A log frame's header starts at ``at``: stream 1 or 2 (logs carry no stdin), then three zero bytes."""
    return at >= 0 and data[at] in (1, 2) and data[at + 1:at + 4] == b"\0\0\0"


def previous_logs(container_name: str) -> list[str] | None:
    """The stdout lines of the existing migration container; None when there is none.

    Only the daemon's "No such container" means that (``NO_SUCH_CONTAINER``). Any other failure (the Docker
    host unreachable, the provider crashing) stops the preview or the deployment: reading it as "no earlier
    run" would carry attempt 1 and re-run, or never re-run, the migrations.
    """
    try:
        result = docker.get_logs(name=container_name, logs_list_string_enabled=True, discard_headers=False,
                                 show_stdout=True, show_stderr=False)
    except Exception as exc:
        if NO_SUCH_CONTAINER.format(name=container_name) in str(exc):
            return None
        raise kongconf.MigrationError(
            f"{container_name}: cannot read the log of its last run, which decides whether the migrations run "
            f"again: {exc}. Check that the Docker host answers (`docker logs {container_name}`) and run the "
            "command again") from exc
    return demultiplex(result.logs_list_strings or [], container_name)


def create_migrations(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                      password: pulumi.Output[str], postgres: docker.Container,
                      children: Children) -> tuple[docker.Container, pulumi.Output[str]]:
    """Run ``bootstrap && up`` to completion; return the container and the gate the Kong nodes wait on.

    ``attach`` waits for the container to exit but ignores the exit code, and the exit code it stores is
    never read again (terraform-provider-docker resource_docker_container_funcs.go:
    resourceDockerContainerCreate waits with ContainerWait; resourceDockerContainerRead only copies
    ``State.ExitCode``). So the gate is ``exit_code.apply(require_zero_exit)``, and a failed run is retried
    by ``next_attempt`` on the next ``pulumi up``. The container uses the Kong image, so a new Kong
    version replaces it and migrates (``up`` only adds: the old nodes keep working) before any node is
    touched.
    """
    return _migration_container(MIGRATIONS_ROLE, MIGRATIONS_SCRIPT, kongconf.MIGRATIONS_UP_COMMAND,
                                "Kong is not started", stack=stack, image=image, network=network,
                                password=password, after=[postgres], children=children)


def create_migrations_finish(*, stack: str, image: pulumi.Input[str], network: pulumi.Input[str],
                             password: pulumi.Output[str], nodes: Sequence[docker.Container],
                             children: Children) -> tuple[docker.Container, pulumi.Output[str]]:
    """Run ``finish`` once every node runs the new version; return the container and its gate.

    After ``finish`` nodes of the old version cannot use the database (Kong's UPGRADE.md,
    kong/cmd/migrations.lua), so it waits for the last node (``depends_on``, never an input: replacing it
    forces no node out). Same image, so a new Kong version replaces it too, and it runs after the roll; a
    failed run is retried like ``bootstrap && up``. Until it has run, ``kong migrations up`` of a later
    version refuses ("Database has pending migrations"): the next ``pulumi up`` runs it first.
    """
    return _migration_container(FINISH_ROLE, FINISH_SCRIPT, kongconf.MIGRATIONS_FINISH_COMMAND,
                                "the nodes run the new version, the old version's teardown is still pending",
                                stack=stack, image=image, network=network, password=password, after=nodes,
                                children=children)


def _migration_container(role: str, script: str, command: str, stopped: str, *, stack: str,
                         image: pulumi.Input[str], network: pulumi.Input[str], password: pulumi.Output[str],
                         after: Sequence[pulumi.Resource],
                         children: Children) -> tuple[docker.Container, pulumi.Output[str]]:
    name = naming.resource_name(stack, role)
    attempt = next_attempt(previous_logs(name))
    container = docker.Container(
        children.name(role),
        name=name,
        image=image,
        command=["sh", "-c", script],
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
        # What waits on the gate does so through depends_on, not through an input: a replacement of this
        # container then never forces anything to be deleted before it (see kong.py).
        opts=children.opts(role, depends_on=list(after), delete_before_replace=True),
    )
    gate = container.exit_code.apply(lambda code: kongconf.require_zero_exit(code, name, command, stopped))
    return container, gate
