"""Benchmarks of ``gateway explain`` and ``gateway diff`` (issue 12 targets: explain < 300 ms per run;
diff over 1,000 generated requests < 10 s). Prints one line per figure; run with `make bench`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.explain.corpus import generate, sample_bodies  # noqa: E402
from gateway.explain.diff import compare  # noqa: E402
from gateway.explain.engine import Model, explain  # noqa: E402
from gateway.explain.lua_runner import LuaRunner  # noqa: E402
from gateway.spec import load_spec  # noqa: E402

RUNS = 5
DIFF_REQUESTS = 1000


EXPLAIN = ["explain", "--stack", "dev", "POST", "/api/v1/nmt", "--credential", "ai4voice-client/primary",
           "--data", "@lua/spec/fixtures/ulca/nmt-no-language.json"]


def process(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m gateway ...`` (interpreter start to output), median."""
    argv = [sys.executable, "-m", "gateway", *args]
    walls, cpus = [], []
    for _ in range(RUNS):
        before = os.times()
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = os.times()
        cpus.append(after.children_user + after.children_system - before.children_user - before.children_system)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    wall, cpu = process(EXPLAIN)
    base_wall, base_cpu = process(["validate", "--stack", "dev"])
    print(f"explain (dev, POST /api/v1/nmt, one process): {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
          f"per run (target < 300 ms; `validate --stack dev` alone: {base_wall * 1000:.0f} ms wall, "
          f"{base_cpu * 1000:.0f} ms CPU)")
    spec = load_spec(ROOT / "stacks", "dev")
    model = Model(spec)
    requests = generate([spec], sample_bodies(ROOT))[:DIFF_REQUESTS]
    with LuaRunner(ROOT / "lua") as runner:
        run = lambda call: runner.run([call])[0]  # noqa: E731
        start = time.perf_counter()
        for request in requests:
            explain(model, request, run)
        per_request = (time.perf_counter() - start) / len(requests)
        start = time.perf_counter()
        changes = sum(1 for _ in compare(Model(spec), Model(spec), requests, run))
        elapsed = time.perf_counter() - start
    print(f"explain in-process: {per_request * 1000:.2f} ms per request ({len(requests)} requests, LuaJIT included)")
    print(f"diff over {len(requests)} generated requests (2 specs): {elapsed:.2f} s, {changes} changes "
          f"(target < 10 s)")


if __name__ == "__main__":
    main()
