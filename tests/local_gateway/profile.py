"""``make bench-live``'s profiles: where a Kong worker's CPU goes, per plugin, from LuaJIT's sampling profiler.

A pair of points (the chain, then the chain without one plugin) prices a plugin by the difference of two
runs, and on a shared machine two runs of one point differ by ±20%: a plugin that costs 5% is lost in it.
A profile prices every plugin within one run: ``bench-profiler`` (bench/lua/kong/plugins/bench-profiler,
loaded in the bench's Kongs only) samples the worker's Lua stacks on the kernel's profiling timer
(``jit.profile``, ``ITIMER_PROF``: the process's CPU time), and each sample goes to a bucket:

- ``<plugin>``: the outermost frame of the stack under ``kong/plugins/<plugin>/``: the plugin's handler and
  all it calls (the PDK, cjson, the GC steps its allocations trigger);
- ``nginx``: the innermost frame is a phase's first line (``rewrite_by_lua(...)``): the sample came while
  nginx's C ran between two Lua phases (reading the request, proxying, writing the answer and the access
  log), and LuaJIT delivers it at the next Lua it runs;
- ``kong``: the rest, Kong's own Lua (router, runloop, plugins iterator, balancer, timers).

A bucket's share of the samples is its share of the worker's CPU; times the run's CPU per request it is µs
per request. Runs are repeated (``BENCH_REPS``): JIT traces and caches differ from run to run, and shares
move by more than the sampling error between runs, so a table gives the median and min-max over them. What a profile does not see is what a plugin makes nginx's C do (headers it adds are written
by nginx) and what it does to the rest of Lua's speed (caches, JIT traces): the pairs keep that.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROFILER = "bench-profiler"
LUA_DIR = Path(__file__).resolve().parents[2] / "bench" / "lua"
START, STOP, OUT = "bench-profile.start", "bench-profile.stop", "bench-profile.out"
NGINX, KONG = "nginx", "kong"
PLUGIN_FRAME = re.compile(r"kong/plugins/([A-Za-z0-9_-]+)/")
PHASE_ENTRY = re.compile(r"^[a-z_]+_by_lua\(")


def kong_env(plugins: str, package_path: str) -> dict[str, str]:
    """The ``KONG_PLUGINS`` and ``KONG_LUA_PACKAGE_PATH`` of a bench Kong that loads the profiler."""
    return {"KONG_PLUGINS": f"{plugins},{PROFILER}", "KONG_LUA_PACKAGE_PATH": f"{LUA_DIR}/?.lua;{package_path}"}


def bucket(frames: str) -> str:
    """The bucket of one stack (``file:line`` frames joined by ``|``, outermost first)."""
    stack = [f for f in frames.split("|") if f]
    for frame in stack:
        found = PLUGIN_FRAME.search(frame)
        if found and found.group(1) != PROFILER:
            return found.group(1)
    if stack and PHASE_ENTRY.match(stack[-1]):
        return NGINX
    return KONG


def parse(text: str) -> Counter[str]:
    """Samples per bucket from ``bench-profile.out`` (``samples<TAB>vmstate<TAB>frames`` per line)."""
    out: Counter[str] = Counter()
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        if len(fields) != 3 or not fields[0].isdigit():
            raise ValueError(f"not a profile line: {line[:120]!r}")
        out[bucket(fields[2])] += int(fields[0])
    return out


@dataclass(frozen=True)
class Share:
    name: str
    share: float
    """The median over the runs of the bucket's share of a run's samples."""
    low: float
    high: float
    error: float
    """One standard error of the pooled share (binomial: sqrt(p(1-p)/n) over all runs' samples), from
    sampling alone: the runs' min-max (``low``, ``high``) is the spread to trust."""
    micro: float
    """µs per request: ``share`` times the runs' median CPU per request."""


Profiled = tuple[Mapping[str, int], float]
"""One profiled run: samples per bucket, and the run's CPU µs per request."""


def run_shares(runs: Iterable[Mapping[str, int]], name: str) -> list[float]:
    """``name``'s share of each run's samples (runs without samples left out)."""
    return [got.get(name, 0) / sum(got.values()) for got in runs if sum(got.values())]


def share_of(runs: Iterable[Mapping[str, int]], name: str) -> float:
    """The median over ``runs`` of ``name``'s share of a run's samples."""
    values = run_shares(runs, name)
    return statistics.median(values) if values else 0.0


def shares(runs: Sequence[Profiled]) -> list[Share]:
    """Every bucket's share of the samples (median and min-max over the runs) and µs per request, largest
    first."""
    kept = [(got, cpu) for got, cpu in runs if sum(got.values())]
    if not kept:
        return []
    pooled = sum(sum(got.values()) for got, _ in kept)
    cpu_us = statistics.median(cpu for _, cpu in kept)
    out = []
    for name in sorted({n for got, _ in kept for n in got}):
        values = run_shares((got for got, _ in kept), name)
        p = sum(got.get(name, 0) for got, _ in kept) / pooled
        median = statistics.median(values)
        out.append(Share(name, median, min(values), max(values), math.sqrt(p * (1 - p) / pooled), median * cpu_us))
    return sorted(out, key=lambda s: (-s.share, s.name))


def table(title: str, runs: Sequence[Profiled], requests: int) -> list[str]:
    rows = shares(runs)
    samples = sum(sum(got.values()) for got, _ in runs)
    cpu_us = statistics.median(cpu for _, cpu in runs) if runs else 0.0
    lines = [f"{title}: {cpu_us:.1f} µs/request of worker CPU (median), {len(runs)} runs, {requests} requests, "
             f"{samples} samples"]
    lines += [f"  {s.name:24} {s.share:6.1%} [{s.low:.1%}-{s.high:.1%}] ±{s.error:.1%}  {s.micro:6.1f} µs"
              for s in rows]
    return lines


def _wait(done: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"bench-profiler did not {what} within {timeout:g} s (is it in KONG_PLUGINS?)")
        time.sleep(0.05)


def start(prefix: Path) -> None:
    """Clears the worker's counts and starts sampling; returns once the worker has."""
    (prefix / OUT).unlink(missing_ok=True)
    (prefix / START).touch()
    _wait(lambda: not (prefix / START).exists(), "start")


def stop(prefix: Path) -> str:
    """Stops sampling; the worker's counts (``bench-profile.out``)."""
    (prefix / STOP).touch()
    _wait(lambda: (prefix / OUT).exists() and not (prefix / STOP).exists(), "stop")
    return (prefix / OUT).read_text()
