"""The Docker nodes' health check against a real Kong 3.9.3 (``kong``: tests/local_gateway): the command
``gateway.platform.docker.kong.ready_check`` sends, run as Docker runs it, tells a node that runs from one
that is ready to serve. A DB-less node without a config is the node that runs but is not ready: its
``/status/ready`` answers 503 until a config is loaded (kong/status/ready.lua, ``is_dbless_ready``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from local_gateway import kong_install
from local_gateway.node import prepare
from local_gateway.processes import Proc, free_ports, spawn, stop, wait_until

from gateway.platform import naming
from gateway.platform.docker.kong import ready_check

LOOPBACK = naming.LOOPBACK


@dataclass(frozen=True)
class Node:
    install: kong_install.KongInstall
    env: dict[str, str]
    proc: Proc
    admin: int
    status: int

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=self.install.command_env(os.environ, self.env), cwd=self.install.lua_dir,
                              capture_output=True, text=True, timeout=60, check=False)

    def ready_status(self) -> int:
        return httpx.get(f"http://{LOOPBACK}:{self.status}/status/ready", timeout=5).status_code


@pytest.fixture
def unconfigured_node(kong: kong_install.KongInstall, tmp_path: Path) -> Iterator[Node]:
    """A DB-less Kong with no declarative config, started as the image starts it (prepare, then nginx)."""
    proxy, admin, status = free_ports(LOOPBACK, 3)
    prefix = tmp_path / "prefix"
    env = {"KONG_PREFIX": str(prefix), "KONG_DATABASE": "off", "KONG_NGINX_DAEMON": "off",
           "KONG_PROXY_LISTEN": f"{LOOPBACK}:{proxy}", "KONG_ADMIN_LISTEN": f"{LOOPBACK}:{admin}",
           "KONG_STATUS_LISTEN": f"{LOOPBACK}:{status}", "KONG_ADMIN_GUI_LISTEN": "off",
           "KONG_NGINX_WORKER_PROCESSES": "2", "KONG_LUA_PACKAGE_PATH": kong.env.get("KONG_LUA_PACKAGE_PATH", ";")}
    if os.geteuid() == 0:
        env["KONG_NGINX_USER"] = "root root"
    prepare(kong, env, prefix, "kong")
    proc = spawn("kong", [str(kong.nginx), "-p", str(prefix), "-c", "nginx.conf"],
                 env=kong.command_env(os.environ, env), cwd=kong.lua_dir, log=tmp_path / "kong.log",
                 stop_signal=signal.SIGQUIT)
    try:
        yield Node(kong, env, proc, admin, status)
    finally:
        stop(proc)


def test_readiness_check_reports_ready_only_when_status_ready_does(unconfigured_node: Node) -> None:
    """Issue 22 item 3: ``kong health`` (the old gate) passes as soon as nginx runs, while ``/status/ready``
    still answers 503; the health check the nodes now run fails then, and passes once Kong is ready."""
    node = unconfigured_node
    wait_until("kong health", lambda: node.run([str(node.install.kong), "health"]).returncode == 0, node.proc, 60)
    assert node.ready_status() == 503
    time.sleep(1)  # still not ready: nothing loads a config by itself
    not_ready = node.run(ready_check(node.status))
    assert node.ready_status() == 503
    assert not_ready.returncode == 1, not_ready.stderr
    assert not_ready.stdout.startswith("503 ") and "no configuration available" in not_ready.stdout

    config = {"_format_version": "3.0", "services": [{"name": "probe", "url": f"http://{LOOPBACK}:9"}]}
    loaded = httpx.post(f"http://{LOOPBACK}:{node.admin}/config", json={"config": json.dumps(config)}, timeout=30)
    assert loaded.status_code == 201, loaded.text
    wait_until("/status/ready 200", lambda: node.ready_status() == 200, node.proc, 30)
    ready = node.run(ready_check(node.status))
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.startswith("200 ")


def test_readiness_check_fails_when_nothing_listens(kong: kong_install.KongInstall) -> None:
    """Issue 22 item 3: no status listener (Kong not started yet) is not ready either."""
    [port] = free_ports(LOOPBACK, 1)
    done = subprocess.run(ready_check(port), env=kong.command_env(os.environ, {}), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1 and "status listener: connection refused" in done.stderr
