"""Faults on a running local gateway, for the live tests: stop and start an echo backend, Redis or Postgres,
as ``docker stop`` / ``docker start`` do to a container, and give a Kong node new workers as ``docker kill -s
HUP`` does. The gateway's ``gateway.json`` is kept current (a restarted process has a new pid)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from gateway.platform import naming
from local_gateway.gateway import PROCESS_ENV, write_state
from local_gateway.layout import Layout
from local_gateway.processes import Proc, accepts, alive, spawn, stop, wait_until


class LocalGateway:
    """A running local gateway, from its ``gateway.json``."""

    def __init__(self, state_file: Path | str) -> None:
        self.state_file = Path(state_file)

    def _read(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data

    @property
    def layout(self) -> Layout:
        local = self._read()["local"]
        return Layout(Path(local["root"]), int(local["network"]))

    def proc(self, role: str) -> Proc:
        for entry in self._read()["local"]["processes"]:
            if entry["role"] == role:
                return Proc.from_json(entry)
        raise KeyError(f"the local gateway has no process {role}")

    def _endpoint(self, role: str) -> tuple[str, int]:
        if role == "redis":
            return self.layout.redis_address, naming.REDIS_PORT
        if role == "postgres":
            return self.layout.postgres_address, naming.POSTGRES_PORT
        for backend in self._read()["local"]["backends"]:
            if backend["role"] == role:
                return str(backend["address"]), int(backend["port"])
        raise KeyError(role)

    def stop(self, role: str) -> None:
        stop(self.proc(role))

    def start(self, role: str) -> None:
        """Start a stopped process again with its command line, and wait until it accepts connections."""
        old = self.proc(role)
        if alive(old):
            return
        new = spawn(role, old.argv, env=PROCESS_ENV, log=Path(old.log), user=old.user,
                    stop_signal=old.stop_signal)
        data = self._read()
        data["local"]["processes"] = [new.to_json() if p["role"] == role else p for p in data["local"]["processes"]]
        write_state(self.state_file, data)
        address, port = self._endpoint(role)
        wait_until(f"{role} on {address}:{port}", lambda: accepts(address, port), new, timeout=60)

    def reload_node(self, index: int, timeout: float = 30) -> None:
        """nginx's reload (SIGHUP to the node's master): new workers start and the old ones leave. Returns once
        only new workers are left."""
        master = self.proc(naming.kong_role(index))
        old = workers(master.pid)
        os.kill(master.pid, signal.SIGHUP)
        wait_until(f"new workers of {master.role}",
                   lambda: (now := workers(master.pid)) != set() and not now & old, master, timeout)

    def running(self, role: str) -> bool:
        return alive(self.proc(role))

    def node_prefix(self, index: int) -> Path:
        return Path(self._read()["local"]["nodes"][index - 1]["prefix"])

    def node_log(self, index: int) -> str:
        """Everything node ``index`` wrote: access log (stdout) and error log (stderr)."""
        return self.layout.log(naming.kong_role(index)).read_text(errors="replace")

    def error_logs(self) -> list[Path]:
        return [Path(p) for p in self._read()["local"]["errorLogs"]]


def workers(master: int) -> set[int]:
    """The pids of the nginx workers of ``master`` (its children, less the cache processes)."""
    found = set()
    for task in Path(f"/proc/{master}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:  # gone meanwhile
                continue
            if b"worker process" in title and b"shutting down" not in title:
                found.add(int(pid))
    return found
