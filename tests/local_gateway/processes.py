"""The local gateway's processes: started in the foreground (as the containers run them), each in a session
of its own, its output in a log file; stopped by process group, so nothing of it outlives ``down``.

A process is known by its pid and its start time (``/proc/<pid>/stat``), so a pid the system has given
to another process since is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


class StartError(RuntimeError):
    """A process did not start or did not become ready; the message says which and shows its log."""


@dataclass(frozen=True)
class Proc:
    role: str
    pid: int
    started: int
    """Start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    argv: tuple[str, ...]
    log: str
    stop_signal: int = signal.SIGTERM
    user: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proc:
        return cls(role=str(data["role"]), pid=int(data["pid"]), started=int(data["started"]),
                   argv=tuple(data["argv"]), log=str(data["log"]), stop_signal=int(data["stop_signal"]),
                   user=data.get("user"))


def start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19]) if fields[0] != "Z" else None  # field 22 overall; a zombie has exited


def alive(proc: Proc) -> bool:
    return start_time(proc.pid) == proc.started


def spawn(role: str, argv: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path | None = None,
          user: str | None = None, stop_signal: int = signal.SIGTERM) -> Proc:
    """Start ``argv`` in a new session with stdout and stderr in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        try:
            child = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True, user=user,
                                     group=user, extra_groups=[] if user else None)
        except OSError as exc:
            raise StartError(f"{role}: cannot run {argv[0]}: {exc}") from None
    started = start_time(child.pid)
    if started is None:
        raise StartError(f"{role}: {argv[0]} exited at once\n{tail(log)}")
    return Proc(role, child.pid, started, tuple(argv), str(log), int(stop_signal), user)


def stop(proc: Proc, timeout: float = 15.0) -> None:
    """Signal the process group, wait for the process to exit, then kill what is left of the group."""
    if not alive(proc):
        return
    try:
        os.killpg(proc.pid, proc.stop_signal)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while alive(proc) and time.monotonic() < deadline:
        _reap(proc.pid)
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers, or a process that ignored the signal
    _reap(proc.pid)


def _reap(pid: int) -> None:
    """Collect our own child's exit status (a zombie still has a /proc entry)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def holding(folder: Path) -> list[int]:
    """Processes with a file open under ``folder`` (every process of a gateway writes its log there): what
    ``down`` stops even when a killed run never recorded it."""
    prefix = f"{folder}/"
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd).startswith(prefix) for fd in fd_dir.iterdir()):
                found.append(int(fd_dir.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return sorted(set(found) - {os.getpid()})


def kill_all(pids: list[int], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL what is left after ``timeout``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while any(start_time(pid) is not None for pid in pids) and time.monotonic() < deadline:
            for pid in pids:
                _reap(pid)
            time.sleep(0.05)


def tail(log: Path | str, lines: int = 15) -> str:
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def wait_until(what: str, check: Callable[[], bool], proc: Proc | None, timeout: float) -> None:
    """Poll ``check`` until it holds; fail with ``proc``'s log when it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while not check():
        if proc is not None and not alive(proc):
            _reap(proc.pid)
            raise StartError(f"{proc.role} exited before {what}; its log ({proc.log}):\n{tail(proc.log)}")
        if time.monotonic() > deadline:
            log = f"; its log ({proc.log}):\n{tail(proc.log)}" if proc is not None else ""
            raise StartError(f"timed out after {timeout:.0f} s waiting for {what}{log}")
        time.sleep(0.1)


def accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_free(address: str, port: int) -> bool:
    """Whether a server could listen there now (with SO_REUSEADDR, as every server here does: connections
    of a stopped predecessor in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def free_ports(address: str, count: int) -> list[int]:
    """Ports the system has just handed out for ``address``: free now (a later bind could still race)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((address, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
