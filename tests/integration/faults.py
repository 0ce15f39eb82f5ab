"""What the gateway runs on, for tests that stop parts of it or read its logs: the containers of a Docker
stack (the docker CLI on the stack's engine), or the processes of a local gateway (tests/local_gateway).

A test marked ``processes`` uses this; it is skipped where neither is reachable.
"""

from __future__ import annotations

import subprocess
import time
from functools import cache

from local_gateway.control import LocalGateway

from gateway.platform.docker.backends import backend_role
from gateway.platform.naming import kong_role, resource_name
from gateway.spec.fields import split_target
from integration import live

PLATFORM_SERVICES = ("redis", "postgres")


@cache
def local(state_file: str) -> LocalGateway:
    return LocalGateway(state_file)


def unavailable(settings: live.Settings) -> str | None:
    """None when the tests can act on the gateway's processes; else why not."""
    if settings.local_state is not None:
        return None
    return live.docker_unavailable()


def _set_running(settings: live.Settings, role: str, running: bool) -> None:
    """``docker start|stop`` of the role's container, or the same to the local gateway's process."""
    if settings.local_state is not None:
        gateway = local(settings.local_state)
        if running:
            gateway.start(role)
        else:
            gateway.stop(role)
        return
    name, verb = resource_name(settings.stack, role), "start" if running else "stop"
    done = live.docker([verb, name])
    assert done.returncode == 0, f"docker {verb} {name}: {done.stderr.strip()[:200]}"


def set_targets_running(settings: live.Settings, targets: list[str], running: bool) -> None:
    """Stop or start the echo backends serving ``targets`` (``host:port``)."""
    for target in targets:
        _set_running(settings, backend_role(split_target(target)[0]), running)


def set_service_running(settings: live.Settings, role: str, running: bool) -> None:
    """Stop or start Redis or Postgres."""
    assert role in PLATFORM_SERVICES, role
    _set_running(settings, role, running)


def reload_kong(settings: live.Settings, index: int) -> None:
    """New nginx workers for Kong node ``index`` (1-based), as ``kong reload`` gives: SIGHUP to the nginx master
    (the container's PID 1 in Kong's image: docker-entrypoint.sh ends in ``exec nginx``). Returns once the old
    workers are gone."""
    if settings.local_state is not None:
        local(settings.local_state).reload_node(index)
        return
    name = resource_name(settings.stack, kong_role(index))
    before = _docker_workers(name)
    done = live.docker(["kill", "--signal", "HUP", name])
    assert done.returncode == 0, f"docker kill -s HUP {name}: {done.stderr.strip()[:200]}"
    deadline = time.monotonic() + 30
    while (now := _docker_workers(name)) == set() or now & before:
        assert time.monotonic() < deadline, f"{name}: the old nginx workers did not leave within 30 s"
        time.sleep(0.2)


def _docker_workers(name: str) -> set[str]:
    top = live.docker(["top", name, "-o", "pid,args"])
    assert top.returncode == 0, f"docker top {name}: {top.stderr.strip()[:200]}"
    return {line.split()[0] for line in top.stdout.splitlines()
            if "worker process" in line and "shutting down" not in line}


def _docker_logs(settings: live.Settings, index: int) -> subprocess.CompletedProcess[str]:
    name = resource_name(settings.stack, kong_role(index))
    logs = live.docker(["logs", "--since", "10m", name])
    assert logs.returncode == 0, f"docker logs {name}: {logs.stderr.strip()[:200]}"
    return logs


def node_logs(settings: live.Settings, index: int) -> str:
    """What Kong node ``index`` (1-based) wrote to stdout and stderr (access and error logs)."""
    if settings.local_state is not None:
        return local(settings.local_state).node_log(index)
    logs = _docker_logs(settings, index)
    return logs.stdout + logs.stderr


def logs_showing(settings: live.Settings, index: int, needle: str, timeout: float = 10.0) -> str:
    """Node ``index``'s logs once they hold ``needle`` (nginx writes the access log after the answer has
    gone out); as they are when ``timeout`` runs out otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        text = node_logs(settings, index)
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def node_stdout(settings: live.Settings, index: int) -> str:
    """Node ``index``'s access log. A local node's stdout and stderr share one file: its lines that are
    JSON objects are the access log's."""
    if settings.local_state is not None:
        return "\n".join(line for line in node_logs(settings, index).splitlines() if line.startswith("{"))
    return _docker_logs(settings, index).stdout


KONG_PREFIX = "/usr/local/kong"
"""The kong image's prefix (``KONG_PREFIX``)."""


def body_temp_files(settings: live.Settings, index: int) -> list[str]:
    """The files in node ``index``'s ``client_body_temp`` (request bodies nginx spilled to disk)."""
    if settings.local_state is not None:
        folder = local(settings.local_state).node_prefix(index) / "client_body_temp"
        return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    name = resource_name(settings.stack, kong_role(index))
    done = live.docker(["exec", name, "find", f"{KONG_PREFIX}/client_body_temp", "-type", "f"])
    assert done.returncode == 0, f"docker exec {name} find: {done.stderr.strip()[:200]}"
    return sorted(done.stdout.split())
