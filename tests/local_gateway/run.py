"""``make live``: for one stack, a local gateway in DB-less mode, then in DB mode; against each, the live
suite (tests/integration, destructive tests included: they act on the gateway's own processes), ``make
smoke``, and Kong's error log checked against docs/LOCAL_GATEWAY.md. Everything started is stopped at the end, on
failure, and on Ctrl-C or SIGTERM.

Prints what it does, pytest's output, and one summary line per mode; exit 0 only when every part passed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from integration import live

from gateway.stack.settings import read_stack_settings
from local_gateway import gateway, kong_install, logcheck
from local_gateway.layout import LIVE_DIR, ROOT
from local_gateway.processes import StartError, alive, start_time

MODES: tuple[gateway.Mode, ...] = ("dbless", "db")


@dataclass
class Outcome:
    mode: str
    suite: str = "not run"
    smoke: str = "not run"
    log: str = "not checked"
    ok: bool = False
    seconds: float = 0.0

    def line(self, stack: str) -> str:
        mark = "✓" if self.ok else "✗"
        return (f"{mark} live {stack} {self.mode}: integration {self.suite}; smoke {self.smoke}; error log "
                f"{self.log} ({self.seconds:.0f} s)")


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def remove_orphans(live_dir: Path = LIVE_DIR) -> list[str]:
    """Gateways of earlier runs whose runner is gone (killed before it could clean up)."""
    removed = []
    for root in gateway.running(live_dir):
        match = re.fullmatch(r"run-(\d+)-.*", root.name)
        if match and start_time(int(match.group(1))) is None:
            gateway.down(root)
            removed.append(root.name)
    return removed


def _summary(output: str) -> str:
    """pytest's last line, e.g. ``93 passed, 3 skipped in 48.67s``, without the time."""
    lines = [line.strip("= ") for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return re.sub(r" in [\d.]+s.*", "", lines[-1]) if lines else "no result"


class RunInterruptedError(Exception):
    """Ctrl-C or SIGTERM reached the run: every mode stops what it started."""


class Runs:
    """The run's children (pytest, smoke); an interruption stops them, and each mode then stops its gateway."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.children: set[subprocess.Popen[str]] = set()
        self.lock = threading.Lock()

    def say(self, lines: str) -> None:
        with self.lock:
            print(lines, flush=True)

    def run(self, argv: list[str], env: dict[str, str]) -> tuple[int, str]:
        """A child's exit code and output (the caller shows it)."""
        if self.stop.is_set():
            raise RunInterruptedError
        child = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, start_new_session=True)
        with self.lock:
            self.children.add(child)
        try:
            output, _ = child.communicate()
        finally:
            with self.lock:
                self.children.discard(child)
        if self.stop.is_set():
            raise RunInterruptedError
        return child.returncode, output

    def interrupt(self) -> None:
        self.stop.set()
        with self.lock:
            for child in self.children:
                child.terminate()


def run_mode(runs: Runs, stack: str, mode: gateway.Mode, install: kong_install.KongInstall,
             pytest_args: list[str]) -> Outcome:
    outcome = Outcome(mode)
    started = time.monotonic()
    tag = f"live: [{stack} {mode}]"
    runs.say(f"{tag} starting the gateway")
    with gateway.gateway(stack, mode, install, name=f"run-{os.getpid()}-{stack}-{mode}",
                         progress=lambda line: runs.say(f"{tag}   {line}")) as state:
        env = {**os.environ, live.ENV_OPT_IN: "1", live.ENV_DESTRUCTIVE: "1",
               live.ENV_LIVE_GATEWAY: str(state.layout.state_file)}
        for name in (live.ENV_PROXY, live.ENV_ADMIN, *live.KEY_OUTPUTS, live.ENV_JWT_SECRET, live.ENV_STACK):
            env.pop(name, None)  # the gateway's own settings, not a deployed stack's
        # pyproject's addopts already has -q (a second one would drop pytest's summary line).
        suite_code, suite_out = runs.run([sys.executable, "-m", "pytest", "tests/integration", "-rs", *pytest_args],
                                         env)
        runs.say(f"{tag} tests/integration:\n{suite_out.rstrip()}")
        outcome.suite = _summary(suite_out)
        smoke_code, smoke_out = runs.run([sys.executable, "-m", "integration.smoke"], {**env, "PYTHONPATH": "tests"})
        runs.say(f"{tag} make smoke:\n{smoke_out.rstrip()}")
        areas = [line for line in smoke_out.splitlines() if line[:1] in ("✓", "✗")]
        outcome.smoke = f"{sum(line.startswith('✓') for line in areas)}/{len(areas)} areas"
        report = logcheck.check_files(Path(p) for p in state.to_json()["local"]["errorLogs"])
        outcome.log = report.summary()
        if report.unexplained:
            runs.say("\n".join(f"{tag} unexplained: {line}" for line in report.unexplained[:20]))
        nodes_up = all(alive(p) for p in state.procs if p.role.startswith("kong-"))
        outcome.ok = suite_code == 0 and smoke_code == 0 and not report.unexplained and nodes_up
        if not nodes_up:
            outcome.log += "; a Kong node died during the run"
    outcome.seconds = time.monotonic() - started
    return outcome


def guarded(runs: Runs, stack: str, mode: gateway.Mode, install: kong_install.KongInstall,
            pytest_args: list[str]) -> Outcome:
    try:
        return run_mode(runs, stack, mode, install, pytest_args)
    except (StartError, TimeoutError) as exc:
        runs.say(f"live: [{stack} {mode}] the gateway did not start: {exc}")
        return Outcome(mode, suite="not run: the gateway did not start")


def docker_stacks() -> list[str]:
    """Every stack in stacks/ that the Docker platform deploys."""
    return [path.stem for path in sorted((ROOT / "stacks").glob("*.yaml")) if path.stem != "base"
            and read_stack_settings(ROOT, path.stem).platform == "docker"]


def main(argv: list[str]) -> int:
    wanted = os.environ.get("STACK") or "dev"
    stacks = docker_stacks() if wanted == "all" else [wanted]
    requested = [m for m in (os.environ.get("MODES") or ",".join(MODES)).split(",") if m]
    install = kong_install.usable()
    if isinstance(install, str):
        print(f"live: {install}")
        return 1
    signal.signal(signal.SIGTERM, _interrupted)
    for name in remove_orphans():
        print(f"live: removed the gateway of an interrupted run: {name}")
    print(f"live: Kong {kong_install.KONG_VERSION} from {install.home}")
    unknown = [m for m in requested if m not in MODES]
    if unknown:
        print(f"live: unknown mode {unknown[0]!r} (MODES: {', '.join(MODES)})")
        return 2
    modes = [mode for mode in MODES if mode in requested]
    outcomes: list[tuple[str, Outcome]] = []
    runs = Runs()
    # One mode at a time, on a worker thread: the main thread stays free to stop everything on Ctrl-C or
    # SIGTERM. (Two gateways at once on 2 cores once left a Kong worker without a target in its health
    # checker's list: lua-resty-healthcheck's "trying to increment a target that is not in the list".)
    with ThreadPoolExecutor(max_workers=1) as pool:
        for stack in stacks:
            futures = [pool.submit(guarded, runs, stack, mode, install, argv) for mode in modes]
            try:
                while not all(f.done() for f in futures):
                    time.sleep(0.2)
            except KeyboardInterrupt:
                runs.interrupt()
                wait(futures)
                print("live: interrupted; everything it started is stopped")
                return 130
            for future in futures:
                try:
                    outcomes.append((stack, future.result()))
                except RunInterruptedError:
                    return 130
    for stack, outcome in outcomes:
        print(outcome.line(stack))
    return 0 if outcomes and all(o.ok for _, o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
