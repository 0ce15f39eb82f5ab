"""``make live``: for one stack, a local gateway in DB-less mode, then in DB mode; against each, the live
suite (tests/integration, destructive tests included: they act on the gateway's own processes), ``make
smoke``, and Kong's error log checked against docs/LIVE.md. Everything started is stopped at the end, on
failure, and on Ctrl-C or SIGTERM.

Prints what it does, pytest's output, and one summary line per mode; exit 0 only when every part passed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from integration import live

from gateway.settings import read_stack_settings
from local_gateway import gateway, kong_install, logcheck
from local_gateway.layout import LIVE_DIR, ROOT
from local_gateway.processes import StartError, alive

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
        if match and not _pid_alive(int(match.group(1))):
            gateway.down(root)
            removed.append(root.name)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _summary(output: str) -> str:
    """pytest's last line, e.g. ``93 passed, 3 skipped in 48.67s``, without the time."""
    lines = [line.strip("= ") for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return re.sub(r" in [\d.]+s.*", "", lines[-1]) if lines else "no result"


def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run a child with its output shown as it comes and kept; stop it if we are interrupted."""
    child = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    kept = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(line)
            kept.append(line)
        return child.wait(), "".join(kept)
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(30)


def run_mode(stack: str, mode: gateway.Mode, install: kong_install.KongInstall, pytest_args: list[str]) -> Outcome:
    outcome = Outcome(mode)
    started = time.monotonic()
    print(f"live: {stack} {mode}: starting the gateway", flush=True)
    with gateway.gateway(stack, mode, install, name=f"run-{os.getpid()}-{stack}-{mode}",
                         progress=lambda line: print(f"live:   {line}", flush=True)) as state:
        env = {**os.environ, live.ENV_OPT_IN: "1", live.ENV_DESTRUCTIVE: "1",
               live.ENV_LIVE_GATEWAY: str(state.layout.state_file)}
        for name in (live.ENV_PROXY, live.ENV_ADMIN, *live.KEY_OUTPUTS, live.ENV_JWT_SECRET, live.ENV_STACK):
            env.pop(name, None)  # the gateway's own settings, not a deployed stack's
        # pyproject's addopts already has -q (a second one would drop pytest's summary line).
        suite_code, suite_out = _run([sys.executable, "-m", "pytest", "tests/integration", "-rs", *pytest_args], env)
        outcome.suite = _summary(suite_out)
        smoke_code, smoke_out = _run([sys.executable, "tests/integration/smoke.py"], env)
        areas = [line for line in smoke_out.splitlines() if line[:1] in ("✓", "✗")]
        outcome.smoke = f"{sum(line.startswith('✓') for line in areas)}/{len(areas)} areas"
        report = logcheck.check_files(Path(p) for p in state.to_json()["local"]["errorLogs"])
        outcome.log = report.summary()
        for line in report.unexplained[:20]:
            print(f"live: unexplained: {line}")
        nodes_up = all(alive(p) for p in state.procs if p.role.startswith("kong-"))
        outcome.ok = suite_code == 0 and smoke_code == 0 and not report.unexplained and nodes_up
        if not nodes_up:
            outcome.log += "; a Kong node died during the run"
    outcome.seconds = time.monotonic() - started
    return outcome


def docker_stacks() -> list[str]:
    """Every stack in stacks/ that the Docker platform deploys."""
    return [path.stem for path in sorted((ROOT / "stacks").glob("*.yaml")) if path.stem != "base"
            and read_stack_settings(ROOT, path.stem).platform == "docker"]


def main(argv: list[str]) -> int:
    wanted = os.environ.get("STACK") or "dev"
    stacks = docker_stacks() if wanted == "all" else [wanted]
    modes = [m for m in (os.environ.get("MODES") or ",".join(MODES)).split(",") if m]
    install = kong_install.find()
    if isinstance(install, str):
        print(f"live: skipped: {install}")
        return 0 if os.environ.get("LIVE_OPTIONAL") else 1
    wrong = kong_install.check_version(install)
    if wrong:
        print(f"live: {wrong}")
        return 1
    signal.signal(signal.SIGTERM, _interrupted)
    for name in remove_orphans():
        print(f"live: removed the gateway of an interrupted run: {name}")
    print(f"live: Kong {kong_install.KONG_VERSION} from {install.home}")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        print(f"live: unknown mode {unknown[0]!r} (MODES: {', '.join(MODES)})")
        return 2
    outcomes: list[tuple[str, Outcome]] = []
    try:
        for stack in stacks:
            for mode in modes:
                try:
                    outcomes.append((stack, run_mode(stack, mode, install, argv)))  # type: ignore[arg-type]
                except (StartError, TimeoutError) as exc:
                    print(f"live: {stack} {mode}: the gateway did not start: {exc}")
                    outcomes.append((stack, Outcome(mode, suite="not run: the gateway did not start")))
    except KeyboardInterrupt:
        print("live: interrupted; everything it started is stopped")
        return 130
    for stack, outcome in outcomes:
        print(outcome.line(stack))
    return 0 if outcomes and all(o.ok for _, o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
