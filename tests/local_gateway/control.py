"""Faults on a running local gateway, for the live tests: stop and start an echo backend, Redis or Postgres,
as ``docker stop`` / ``docker start`` do to a container. The gateway's ``gateway.json`` is kept current
(a restarted process has a new pid)."""

from __future__ import annotations

import json
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

    def running(self, role: str) -> bool:
        return alive(self.proc(role))

    def node_prefix(self, index: int) -> Path:
        return Path(self._read()["local"]["nodes"][index - 1]["prefix"])

    def node_log(self, index: int) -> str:
        """Everything node ``index`` wrote: access log (stdout) and error log (stderr)."""
        return self.layout.log(naming.kong_role(index)).read_text(errors="replace")

    def error_logs(self) -> list[Path]:
        return [Path(p) for p in self._read()["local"]["errorLogs"]]
