"""``make bench-live``: what the stack's plugin chain costs on a real Kong 3.9.3, against a bare Kong route.

Three Kongs of one local gateway (layout.py), each with one nginx worker pinned to CPU 0
(``worker_cpu_affinity``, checked with ``taskset -p``): node 1 runs the stack's rendered DB-less config
(``declarative.render``, as ``make live`` ships it), node 2 a bare route to the same backend, node 3 the
stack's config without the proxy access log (``KONG_PROXY_ACCESS_LOG=off``), to price it. The backend is
the install's own nginx answering ``return 200`` on every upstream target address, pinned with wrk (Debian)
to CPU 1, so neither is the bottleneck (its own rate is measured and printed first). Limits are raised so
nothing is refused: every counting plugin's windows (rate-limiting-inline, Kong's rate-limiting) to
``RAISED_LIMIT``, the edge flood guard to its maximum.

Config variants (the chain with one plugin removed, the AI routes without language-router) are loaded into
node 1 through ``POST /config``. Points come in pairs measured one right after the other (bare, then the
chain; the chain, then the chain without one plugin; an AI point with language-router, then without), and a
target reads the median over the repetitions of each pair's ratio, so a busy minute of the shared machine
weighs on both sides alike; every repetition walks all pairs, in reverse order on odd ones. Per point: the
worker's CPU µs per request (``/proc/<pid>/task/*/schedstat`` before and after the run, over the requests
wrk completed) and its CPU time / wall time ("busy", near 1 when the worker is the bottleneck), the median
requests/s, p50 and p99, each with its min-max; per pair its ratio from CPU per request and from requests/s;
the per-plugin cost table and one line per target of issue 23, ending in ``ok`` or ``missed``, from CPU per
request: on a core of its own a CPU-bound worker's throughput is 1 / its CPU per request, and the time other
processes of the shared machine take on that core is in requests/s but not in the worker's CPU time.

After the pairs, the chain and the three NMT points run again, ``BENCH_REPS`` times each, with LuaJIT's
sampling profiler on in the worker (profile.py): every plugin's share of the worker's CPU within one run, and the cost targets
read from those shares too.

Knobs (environment): ``BENCH_DURATION`` seconds per run (3), ``BENCH_REPS`` (3), ``BENCH_WARMUP`` seconds
(1), ``BENCH_CONNECTIONS`` (16), ``BENCH_UPLOADS`` of 50 MiB for the RSS growth (100),
``BENCH_PROFILE_SECONDS`` per profiled run (5, ``BENCH_REPS`` runs per point; 0 skips them), ``BENCH_ONLY`` a comma-separated list of
pairs, by their second point's name (``chain`` for a quick look: bare, then the chain), ``uploads`` and
``profile``, ``STACK`` (dev).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gateway.kong import declarative, vault
from gateway.platform import naming
from gateway.platform.docker.backends import demo_backends
from gateway.platform.tls import SelfSigned
from gateway.spec.models import FloodGuard
from gateway.spec.plugins import COUNTING_PLUGINS
from local_gateway import node, profile, services
from local_gateway.admin_api import AdminApi
from local_gateway.entities import post_config
from local_gateway.gateway import State, down, load, secret_values
from local_gateway.kong_install import KongInstall, usable
from local_gateway.layout import LIVE_DIR, allocate
from local_gateway.processes import StartError, accepts, free_ports, spawn, wait_until

Doc = dict[str, Any]
"""A rendered declarative document (``declarative.render``)."""

RAISED_LIMIT = 1_000_000_000
LOAD_MARGIN = 2.0
"""The backend alone with wrk must serve this many times the bare route's rate for that pair to count."""
KONG_CPU, LOAD_CPU = 0, 1
BIG = 50 << 20
ONE_MIB = 1 << 20
CHAIN_SERVICE, CHAIN_PATH = "config", "/api/v1/config"
BARE_PATH = "/bare"
BENCH_CONSUMER = "developer-client"
FULL, NO_LR = "full", "no-language-router"
LEAN_METRICS = "prometheus-without-per-request-metrics"
PROMETHEUS_PER_REQUEST = ("per_consumer", "status_code_metrics", "latency_metrics", "bandwidth_metrics")
NO_ACCESS_LOG = "no-access-log"
LANGUAGE_ROUTER = "language-router"
SMALL_NMT = ("nmt-body", "nmt-detected", "nmt-header")
"""The NMT points with a small body: language from the body, detected, from ``X-Language``."""


# --- config variants (pure) -------------------------------------------------------------------------------

def _plugin_lists(doc: Doc) -> Iterator[list[Doc]]:
    """Every ``plugins`` list of the document: global, per service, route and consumer."""
    yield doc.setdefault("plugins", [])
    for service in doc.get("services", []):
        yield service.setdefault("plugins", [])
        for route in service.get("routes", []):
            yield route.setdefault("plugins", [])
    for consumer in doc.get("consumers", []):
        yield consumer.setdefault("plugins", [])


def raise_limits(doc: Doc, limit: int = RAISED_LIMIT) -> Doc:
    """A copy where no counting plugin's window refuses anything: every window set is ``limit``."""
    out: Doc = json.loads(json.dumps(doc))
    for plugins in _plugin_lists(out):
        for plugin in plugins:
            if plugin["name"] in COUNTING_PLUGINS:
                for period in ("second", "minute", "hour", "day", "month", "year"):
                    if plugin["config"].get(period) is not None:
                        plugin["config"][period] = limit
    return out


def without_plugin(doc: Doc, name: str) -> Doc:
    """A copy with every instance of plugin ``name`` removed (global, service, route, consumer)."""
    out: Doc = json.loads(json.dumps(doc))
    for plugins in _plugin_lists(out):
        plugins[:] = [p for p in plugins if p["name"] != name]
    return out


def chain(doc: Doc, service: str, path: str) -> list[str]:
    """The plugins Kong runs for ``path`` of ``service`` (one instance per name: route, service, global), in
    the document's order: what the cost table removes one at a time."""
    svc = next(s for s in doc["services"] if s["name"] == service)
    route = next(r for r in svc["routes"] if any(p == path or p.startswith(f"~{path}") for p in r["paths"]))
    names: list[str] = []
    for plugins in (route["plugins"], svc["plugins"], doc["plugins"]):
        names += [p["name"] for p in plugins if p.get("enabled", True) and p["name"] not in names]
    return names


def bare_doc(backend: str) -> Doc:
    """One service and one route, no plugin: the bare Kong route."""
    return {"_format_version": declarative.FORMAT_VERSION,
            "services": [{"name": "bare", "url": f"http://{backend}/",
                          "routes": [{"name": "bare", "paths": [BARE_PATH]}]}]}


def lean_metrics(doc: Doc) -> Doc:
    """A copy whose prometheus instances keep no per-request metric (``PROMETHEUS_PER_REQUEST`` off)."""
    out: Doc = json.loads(json.dumps(doc))
    for plugins in _plugin_lists(out):
        for plugin in plugins:
            if plugin["name"] == "prometheus":
                plugin["config"].update(dict.fromkeys(PROMETHEUS_PER_REQUEST, False))
    return out


def variants(doc: Doc, chain_names: Sequence[str]) -> dict[str, Doc]:
    """``full`` (limits raised), ``no-<plugin>`` for each plugin of the chain, ``no-language-router``, and
    prometheus without its per-request metrics."""
    full = raise_limits(doc)
    out = {FULL: full}
    for name in chain_names:
        out[f"no-{name}"] = without_plugin(full, name)
    out[NO_LR] = without_plugin(full, LANGUAGE_ROUTER)
    out[LEAN_METRICS] = lean_metrics(full)
    return out


# --- requests and points ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Point:
    name: str
    kong: str
    """``stack`` (node 1) or ``bare`` (node 2)."""
    variant: str
    request: Request
    connections: int


def nmt_body(language: bool) -> bytes:
    """A small ULCA NMT request in Hindi; with or without ``config.language.sourceLanguage``."""
    lang: dict[str, str] = {"targetLanguage": "en"}
    if language:
        lang["sourceLanguage"] = "hi"
    return json.dumps({"input": [{"source": "भारत एक विशाल देश है और यहाँ अनेक भाषाएँ बोली जाती हैं।"}],
                       "config": {"language": lang}}, ensure_ascii=False).encode()


def asr_body(size: int) -> bytes:
    """A ULCA ASR request of exactly ``size`` bytes: base64 audio, language in the body."""
    head = b'{"config":{"language":{"sourceLanguage":"en"}},"audio":[{"audioContent":"'
    tail = b'"}]}'
    audio = base64.b64encode(bytes(range(256)) * (size // 256 + 1))[: size - len(head) - len(tail)]
    return head + audio + tail


@dataclass(frozen=True)
class Pair:
    """Two points measured one right after the other in every repetition: their ratio is what a target or
    a row of the cost table reads, so a slow minute of the shared machine weighs on both alike."""

    ref: Point
    point: Point

    @property
    def name(self) -> str:
        return self.point.name


def pairs(key: str, connections: int, chain_names: Sequence[str]) -> list[Pair]:
    """bare then the chain; the chain then the chain without each of its plugins; each AI point (NMT three
    ways, ASR at 1 MiB and 50 MiB) with language-router, then without it."""
    auth = (("apikey", key),)
    js = (*auth, ("Content-Type", "application/json"))
    chain_point = Point("chain", "stack", FULL, Request("GET", CHAIN_PATH, auth), connections)
    out = [Pair(Point("bare", "bare", "", Request("GET", BARE_PATH), connections), chain_point)]
    out += [Pair(chain_point, Point(f"chain-no-{n}", "stack", f"no-{n}", chain_point.request, connections))
            for n in chain_names]
    out += [Pair(chain_point, Point(f"chain-{LEAN_METRICS}", "stack", LEAN_METRICS, chain_point.request,
                                    connections)),
            Pair(chain_point, Point(f"chain-{NO_ACCESS_LOG}", NO_ACCESS_LOG, "", chain_point.request, connections))]
    ai = {"nmt-body": (Request("POST", "/api/v1/nmt", js, nmt_body(True)), connections),
          "nmt-detected": (Request("POST", "/api/v1/nmt", js, nmt_body(False)), connections),
          "nmt-header": (Request("POST", "/api/v1/nmt", (*js, ("X-Language", "hi")), nmt_body(False)), connections),
          "asr-1mib": (Request("POST", "/api/v1/asr", js, asr_body(ONE_MIB)), 4),
          "asr-50mib": (Request("POST", "/api/v1/asr", js, asr_body(BIG)), 2)}
    out += [Pair(Point(name, "stack", FULL, req, conns), Point(f"{name}-nolr", "stack", NO_LR, req, conns))
            for name, (req, conns) in ai.items()]
    return out


def wrk_script(request: Request, body_file: Path | None) -> str:
    """wrk's Lua: method, headers and the body read from a file (bodies run to 50 MiB)."""
    lines = [f"wrk.method = {json.dumps(request.method)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in request.headers]
    if body_file is not None:
        lines.append(f'local f = assert(io.open({json.dumps(str(body_file))}, "rb")); wrk.body = f:read("*a"); '
                     "f:close()")
    return "\n".join(lines) + "\n"


# --- wrk output (pure) ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    """Non-2xx/3xx answers plus socket errors: a run with any is not a clean point."""
    cpu_ns: int = 0
    """The Kong worker's time on a CPU over the run (``worker_cpu_ns`` before and after)."""
    wall_s: float = 0.0
    """Wall-clock seconds between those two readings."""

    @property
    def cpu_us(self) -> float:
        """The worker's CPU µs per request wrk completed: on a core of its own a CPU-bound worker serves
        1 / this many requests per µs, and time other processes take is not in it."""
        return self.cpu_ns / 1000 / self.requests if self.requests else 0.0

    @property
    def busy(self) -> float:
        """The worker's CPU time / wall time over the run: near 1 when it was the bottleneck."""
        return self.cpu_ns / 1e9 / self.wall_s if self.wall_s else 0.0


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(text: str) -> Run:
    """Requests/s, the 50% and 99% latencies of ``--latency``, the request count and the errors."""
    def grab(pattern: str) -> re.Match[str]:
        match = re.search(pattern, text, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output has no {pattern!r}:\n{text}")
        return match

    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    return Run(rps=float(grab(r"^Requests/sec:\s+([\d.]+)").group(1)),
               p50_ms=_duration_ms(grab(r"^\s+50%\s+(\S+)").group(1)),
               p99_ms=_duration_ms(grab(r"^\s+99%\s+(\S+)").group(1)),
               requests=int(grab(r"^\s+(\d+) requests in").group(1)), errors=errors)


def parse_schedstat(text: str) -> int:
    """The first field of ``/proc/<pid>/task/<tid>/schedstat``: nanoseconds the task ran on a CPU
    (``se.sum_exec_runtime``, fs/proc/base.c ``proc_pid_schedstat``; with ``CONFIG_PARAVIRT_TIME_ACCOUNTING``
    time the hypervisor stole is not in it)."""
    fields = text.split()
    if len(fields) != 3 or not all(f.isdigit() for f in fields):
        raise ValueError(f"not a schedstat line: {text!r}")
    return int(fields[0])


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of process ``pid``, in ns."""
    return sum(parse_schedstat(f.read_text()) for f in Path(f"/proc/{pid}/task").glob("*/schedstat"))


# --- statistics and targets (pure) ------------------------------------------------------------------------

@dataclass(frozen=True)
class Stat:
    median: float
    low: float
    high: float

    @property
    def spread(self) -> float:
        """(max - min) / median: how far apart the repetitions are."""
        return (self.high - self.low) / self.median if self.median else 0.0


def stat(values: Iterable[float]) -> Stat:
    got = list(values)
    return Stat(statistics.median(got), min(got), max(got))


@dataclass(frozen=True)
class Target:
    text: str
    value: float
    limit: float
    at_least: bool

    @property
    def ok(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def line(self) -> str:
        sign = ">=" if self.at_least else "<="
        return f"target: {self.text}: {self.value:.3f} ({sign} {self.limit:g}) {'ok' if self.ok else 'missed'}"


@dataclass
class Results:
    runs: dict[str, list[Run]] = field(default_factory=dict)
    peak: dict[str, list[float]] = field(default_factory=dict)
    """Peak RSS growth of the Kong worker over each run (VmHWM at its end - VmRSS at its start), bytes."""
    ratios: dict[str, list[float]] = field(default_factory=dict)
    """Per pair (by its point's name), per repetition: rps of the point / rps of its reference."""
    peak_gaps: dict[str, list[float]] = field(default_factory=dict)
    """Per pair, per repetition: peak RSS growth of the reference - that of the point, bytes."""

    cpu_pairs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Per pair, per repetition: CPU µs per request of the reference and of the point. Kept for every
    repetition, those ``load_limited`` leaves out of ``ratios`` too: a reference that was not CPU-bound
    says so by its busy share, and its CPU per request is still its own."""
    load_limited: dict[str, int] = field(default_factory=dict)
    """Per pair: repetitions left out of its ratio because the load side could not outrun the reference."""

    def add(self, pair: Pair, ref: Run, run: Run, ref_peak: float, peak: float, load_side: float | None = None) -> None:
        """Record both runs; the ratio only when ``load_side`` (the backend alone with wrk, measured just
        before, if it was) served at least ``LOAD_MARGIN`` times the reference: else wrk and the backend, on
        a CPU other processes share, were the bottleneck of the reference and its rate says nothing of Kong."""
        for point, got, grew in ((pair.ref, ref, ref_peak), (pair.point, run, peak)):
            self.runs.setdefault(point.name, []).append(got)
            self.peak.setdefault(point.name, []).append(grew)
        if ref.cpu_us and run.cpu_us:
            self.cpu_pairs.setdefault(pair.name, []).append((ref.cpu_us, run.cpu_us))
        if load_side is not None and load_side < LOAD_MARGIN * ref.rps:
            self.load_limited[pair.name] = self.load_limited.get(pair.name, 0) + 1
            return
        self.ratios.setdefault(pair.name, []).append(run.rps / ref.rps)
        self.peak_gaps.setdefault(pair.name, []).append(ref_peak - peak)

    def ratio(self) -> dict[str, float]:
        return {name: statistics.median(values) for name, values in self.ratios.items()}

    @property
    def cpu_ratios(self) -> dict[str, list[float]]:
        """Per pair, per repetition: the worker's CPU per request of the reference / that of the point (the
        throughput ratio of a CPU-bound worker on a core of its own): what the targets read."""
        return {name: [ref / point for ref, point in runs] for name, runs in self.cpu_pairs.items()}

    def cpu_ratio(self) -> dict[str, float]:
        return {name: statistics.median(values) for name, values in self.cpu_ratios.items()}

    def best_cpu_ratio(self) -> dict[str, float]:
        """Per pair: the reference's least CPU per request over the pair's repetitions / the point's (a
        reference shared by several pairs counts only its runs in this pair, so each side has as many).
        Other work on the machine only ever adds to a run's CPU per request (its caches, the core's other
        hyperthread), so the least of each side is the figure least touched by it: a check on the median
        of the pair's ratios, which the targets read."""
        return {name: min(r for r, _ in runs) / min(p for _, p in runs) for name, runs in self.cpu_pairs.items()}

    def peak_gap(self) -> dict[str, float]:
        return {name: statistics.median(values) for name, values in self.peak_gaps.items()}


def targets(ratio: Mapping[str, float], peak_gap: Mapping[str, float], growth_50mib: float | None,
            by_cpu: bool = True) -> list[Target]:
    """Issue 23's targets from the pairs' median ratios (``ratio``: by the pair's point name, the point's
    throughput / the reference's: from the worker's CPU per request, reference / point, or ``by_cpu``
    false, from requests/s, point / reference; ``peak_gap``: peak RSS growth of the reference - the
    point's, bytes) and the RSS growth over the uploads of 50 MiB. A target whose pair was not run is left
    out."""
    basis = "CPU µs/request" if by_cpu else "requests/s"
    out = []
    if "chain" in ratio:
        out.append(Target(f"dev chain / bare route throughput, by {basis}", ratio["chain"], 0.30, True))
    for name in COUNTING_PLUGINS:
        if f"chain-no-{name}" in ratio:
            out.append(Target(f"{name} cost in the chain (1 - chain / chain without it), by {basis}",
                              1.0 - 1.0 / ratio[f"chain-no-{name}"], 0.25, False))
    for name in SMALL_NMT:
        if f"{name}-nolr" in ratio:
            out.append(Target(f"language-router cost on {name} (small body), by {basis}",
                              1.0 - 1.0 / ratio[f"{name}-nolr"], 0.05, False))
    if "asr-1mib-nolr" in ratio:
        out.append(Target(f"asr-1mib with / without language-router throughput, by {basis}",
                          1.0 / ratio["asr-1mib-nolr"], 0.9, True))
    if "asr-1mib-nolr" in peak_gap:
        out.append(Target("asr-1mib peak RSS with - without language-router, in body sizes",
                          peak_gap["asr-1mib-nolr"] / ONE_MIB, 2.0, False))
    if growth_50mib is not None:
        out.append(Target("worker RSS growth over the 50 MiB uploads, MB", growth_50mib / 1e6, 5.0, False))
    return out


PROFILED = ("chain", *SMALL_NMT)
"""The points profiled (each with its whole chain), after the pairs."""


def profile_targets(profiles: Mapping[str, Sequence[Mapping[str, int]]]) -> list[Target]:
    """The cost targets of issue 23 from the profiles (``profiles``: per point, samples per bucket of each
    run): a plugin's share of the worker's samples is its share of the point's CPU per request, which is
    what 1 - CPU without it / with it measures, within one run; the targets read the median over the
    runs."""
    out = []
    chain = profiles.get("chain", ())
    for name in COUNTING_PLUGINS:
        if any(name in got for got in chain):
            out.append(Target(f"{name} cost in the chain, by profile", profile.share_of(chain, name), 0.25, False))
    for name in SMALL_NMT:
        if profiles.get(name):
            out.append(Target(f"language-router cost on {name} (small body), by profile",
                              profile.share_of(profiles[name], LANGUAGE_ROUTER), 0.05, False))
    return out


# --- processes --------------------------------------------------------------------------------------------

def backend_conf(prefix: Path, listens: Iterable[str], cpu: int) -> str:
    """nginx answering 200 with a fixed JSON body on every ``address:port``, body discarded, one worker."""
    mask = format(1 << cpu, "b")
    listen = "\n".join(f"    listen {a} backlog=16384;" for a in listens)
    return f"""worker_processes 1;
worker_cpu_affinity {mask};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  client_max_body_size 0;
  default_type application/json;
  server {{
{listen}
    location / {{ return 200 '{{"ok":true}}'; }}
  }}
}}
"""


def workers(master: int) -> list[int]:
    """The nginx worker processes of ``master``."""
    out = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
            cmdline = (stat_file.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == master and b"worker process" in cmdline:
            out.append(int(stat_file.parent.name))
    return sorted(out)


def rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def reset_peak(pid: int) -> None:
    """VmHWM back to the current RSS (``/proc/<pid>/clear_refs``: 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def affinity(pid: int) -> str:
    done = subprocess.run(["taskset", "-c", "-p", str(pid)], capture_output=True, text=True, check=False)
    return done.stdout.strip().rsplit(":", 1)[-1].strip()


@dataclass
class Bench:
    state: State
    install: KongInstall
    doc: Doc
    key: str
    kong_pids: dict[str, int] = field(default_factory=dict)
    proxies: dict[str, str] = field(default_factory=dict)
    admin: str = ""
    loaded: str = ""
    backend: str = ""
    prefixes: dict[str, Path] = field(default_factory=dict)


def start_kong(bench: Bench, index: int, text: str, kong: str, extra: Mapping[str, str] | None = None) -> None:
    state, layout, install = bench.state, bench.state.layout, bench.install
    ports = node.NodePorts(*free_ports(naming.LOOPBACK, 6))
    conf = node.node_conf(state.settings, index, state.spec.edge, ports, layout.node_dir(index))
    node.write_files(conf, certificate=(layout.root / "proxy.crt", layout.root / "proxy.key"), declarative=text)
    prefix = Path(tempfile.mkdtemp(prefix="ai4v-kong-"))
    state.prefixes.append(str(prefix))
    state.save()
    secrets = {vault.env_var(n): state.secret_values[n] for n in vault.plugin_secret_names(state.spec)}
    env = node.node_env(install, conf, layout, prefix, secrets)
    env.update(profile.kong_env(env["KONG_PLUGINS"], env["KONG_LUA_PACKAGE_PATH"]))
    env.update({"KONG_NGINX_WORKER_PROCESSES": "1", "KONG_NGINX_MAIN_WORKER_CPU_AFFINITY": format(1 << KONG_CPU, "b"),
                **(extra or {})})
    proc = node.start(install, env, prefix, naming.kong_role(index), layout)
    state.procs.append(proc)
    state.nodes.append(ports)
    state.save()
    node.wait_ready(proc, ports.status)
    found = workers(proc.pid)
    if len(found) != 1:
        raise StartError(f"{kong} Kong: {len(found)} worker processes, expected 1")
    bench.kong_pids[kong] = found[0]
    bench.prefixes[kong] = prefix
    bench.proxies[kong] = f"http://{naming.LOOPBACK}:{ports.proxy}"
    if index == 1:
        bench.admin = f"http://{naming.LOOPBACK}:{ports.admin}"


def start(stack: str, install: KongInstall, progress: Callable[[str], None]) -> Bench:
    settings, spec = load(stack, "dbless")
    edge = spec.edge.model_copy(update={"flood_guard": FloodGuard(per_minute=6_000_000, burst=1_000_000)})
    spec = spec.model_copy(update={"edge": edge})
    layout = allocate(f"bench-{os.getpid()}", LIVE_DIR)
    state = State(stack, "dbless", layout, str(install.home), settings, spec, secret_values(spec, "dbless"))
    doc = declarative.render(spec, stack, state.secret_values.__getitem__)
    key = state.secret_values[spec.consumer_key_secrets()[f"{BENCH_CONSUMER}/primary"]]
    bench = Bench(state, install, doc, key)
    try:
        _start(bench, progress)
    except BaseException:
        down(layout.root)
        raise
    return bench


def _start(bench: Bench, progress: Callable[[str], None]) -> None:
    state, layout = bench.state, bench.state.layout
    backends = demo_backends(state.spec)
    listens = [f"{layout.backend_address(i)}:{b.port}" for i, b in enumerate(backends)]
    lines = [f"{layout.redis_address} {naming.REDIS_ALIAS}"]
    lines += [f"{layout.backend_address(i)} {b.host}" for i, b in enumerate(backends)]
    layout.hosts_file.write_text("\n".join(lines) + "\n")
    state.save()
    progress(f"redis on {layout.redis_address}:{naming.REDIS_PORT}")
    state.procs.append(services.start_redis(layout, state.secret_values[naming.REDIS_PASSWORD]))
    prefix = layout.root / "backend"
    (prefix / "logs").mkdir(parents=True)
    (prefix / "nginx.conf").write_text(backend_conf(prefix, listens, LOAD_CPU))
    progress(f"fixed-answer backend (nginx, CPU {LOAD_CPU}) on {len(listens)} addresses")
    proc = spawn("backend", [str(bench.install.nginx), "-p", str(prefix), "-c", "nginx.conf"],
                 env=bench.install.command_env(os.environ, {}), log=layout.log("backend"))
    state.procs.append(proc)
    state.save()
    address, port = listens[0].rsplit(":", 1)
    wait_until("backend", lambda: accepts(address, int(port)), proc, timeout=30)
    bench.backend = listens[0]
    node.write_certificate(layout.root / "proxy.crt", layout.root / "proxy.key",
                           SelfSigned(tuple(state.settings.tls_hostnames)))
    progress(f"kong-1: {state.stack} config (DB-less), 1 worker on CPU {KONG_CPU}")
    start_kong(bench, 1, declarative.to_yaml(raise_limits(bench.doc)), "stack")
    bench.loaded = FULL
    progress(f"kong-2: bare route, 1 worker on CPU {KONG_CPU}")
    start_kong(bench, 2, declarative.to_yaml(bare_doc(bench.backend)), "bare")
    progress(f"kong-3: {state.stack} config without the proxy access log, 1 worker on CPU {KONG_CPU}")
    start_kong(bench, 3, declarative.to_yaml(raise_limits(bench.doc)), NO_ACCESS_LOG,
               {"KONG_PROXY_ACCESS_LOG": "off"})


def load_variant(bench: Bench, name: str, doc: Doc) -> None:
    """``POST /config`` on node 1 through the local gateway's ``post_config``, which returns once the proxy
    serves the new config (its marker route answers)."""
    if bench.loaded == name:
        return
    post_config(AdminApi(bench.admin, timeout=120), [bench.proxies["stack"]], doc)
    bench.loaded = name


# --- running ----------------------------------------------------------------------------------------------

def wrk(url: str, script: Path, connections: int, seconds: float) -> Run:
    argv = ["taskset", "-c", str(LOAD_CPU), "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
            "--timeout", "30s", "-s", str(script), url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {(done.stderr + done.stdout).strip()[-300:]}")
    return parse_wrk(done.stdout)


def measure(bench: Bench, point: Point, docs: Mapping[str, Doc], scripts: Mapping[str, Path], seconds: float,
            warmup: float, profiled: bool = False) -> tuple[Run, float, Counter[str]]:
    """One run of ``point`` (its config loaded first), with the worker's CPU time over it, the worker's peak
    RSS growth over it and, ``profiled``, its profile: samples per bucket (profile.py)."""
    if point.kong == "stack":
        load_variant(bench, point.variant, docs[point.variant])
    url = bench.proxies[point.kong] + point.request.path
    if warmup > 0:
        wrk(url, scripts[point.name], point.connections, warmup)
    pid, prefix = bench.kong_pids[point.kong], bench.prefixes[point.kong]
    reset_peak(pid)
    before, _ = rss(pid)
    if profiled:
        profile.start(prefix)
    cpu_before, wall_before = cpu_ns(pid), time.monotonic()
    run = wrk(url, scripts[point.name], point.connections, seconds)
    run = replace(run, cpu_ns=cpu_ns(pid) - cpu_before, wall_s=time.monotonic() - wall_before)
    samples = profile.parse(profile.stop(prefix)) if profiled else Counter[str]()
    _, peak = rss(pid)
    for log in bench.state.layout.logs.glob("kong-*.log"):
        os.truncate(log, 0)  # the access log: a line per request
    return run, float(peak - before), samples


def uploads(bench: Bench, count: int) -> tuple[int, int, float]:
    """RSS of the worker before and after ``count`` uploads of 50 MiB (after 3 to warm up), and seconds per
    upload."""
    body = asr_body(BIG)
    host, port = bench.proxies["stack"].removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    headers = {"apikey": bench.key, "Content-Type": "application/json"}

    def one() -> None:
        conn.request("POST", "/api/v1/asr", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"upload of 50 MiB: {answer.status}")

    for _ in range(3):
        one()
    pid = bench.kong_pids["stack"]
    before, _ = rss(pid)
    started = time.monotonic()
    for _ in range(count):
        one()
    seconds = (time.monotonic() - started) / max(count, 1)
    after, _ = rss(pid)
    conn.close()
    return before, after, seconds


BUSY = 0.9
"""A point whose worker was on a CPU less than this share of the run was not CPU-bound (wrk and the
backend, or the connections, were the limit): its CPU per request may be off, and its line says so."""


def fmt_point(name: str, runs: Sequence[Run], peak: Sequence[float]) -> str:
    rps, p50, p99 = stat(r.rps for r in runs), stat(r.p50_ms for r in runs), stat(r.p99_ms for r in runs)
    cpu, busy = stat(r.cpu_us for r in runs), stat(r.busy for r in runs)
    errors = sum(r.errors for r in runs)
    return (f"{name:24} cpu {cpu.median:7.1f} µs/req [{cpu.low:.1f}-{cpu.high:.1f}] busy {busy.median:.2f} "
            f"[{busy.low:.2f}-{busy.high:.2f}]  {rps.median:7.0f} rps [{rps.low:.0f}-{rps.high:.0f}]  "
            f"p50 {p50.median:7.2f} ms [{p50.low:.2f}-{p50.high:.2f}]  p99 {p99.median:7.2f} ms "
            f"[{p99.low:.2f}-{p99.high:.2f}]  peak RSS {statistics.median(peak) / 1e6:+.1f} MB  n={len(runs)}"
            + (f"  ERRORS {errors} (refused: not comparable)" if errors else "")
            + (f"  NOT CPU-BOUND (busy < {BUSY:g})" if busy.median < BUSY else ""))


def cost_table(ratios: Mapping[str, Sequence[float]], chain_cpu_us: float, chain_names: Sequence[str],
               refused: Iterable[str] = ()) -> list[str]:
    """One row per plugin from ``ratios`` (per pair, CPU per request of the chain / of the chain without
    the plugin): its share of the chain's CPU per request (1 - without / with, median over the repetitions
    with min-max) and what that is in µs at the chain's median CPU per request."""
    lines = ["plugin cost in the chain (GET /api/v1/config), each against the chain measured just before, "
             "from the worker's CPU per request:",
             f"  {'(whole chain)':22} {chain_cpu_us:7.1f} µs/request of worker CPU"]
    no = set(refused)
    rows = [(name, f"chain-no-{name}") for name in chain_names]
    rows += [("prometheus per-request metrics", f"chain-{LEAN_METRICS}"),
             ("proxy access log", f"chain-{NO_ACCESS_LOG}")]
    for label, key in rows:
        if key not in ratios:
            continue
        if key in no:
            lines.append(f"  {label:22} n/a: the request is refused without it")
            continue
        shares = stat(1.0 - 1.0 / r for r in ratios[key])
        micro = chain_cpu_us * shares.median
        lines.append(f"  {label:22} {shares.median:6.1%} [{shares.low:.0%} to {shares.high:.0%}]  {micro:+7.1f} µs")
    return lines


@contextmanager
def running(stack: str, install: KongInstall) -> Iterator[Bench]:
    bench = start(stack, install, lambda line: print(f"bench-live: {line}", flush=True))
    try:
        yield bench
    finally:
        down(bench.state.layout.root)


def main(environ: Mapping[str, str] = os.environ) -> int:
    if shutil.which("wrk") is None:
        print("bench-live: wrk is not installed (Debian's wrk; `make bench-live` installs it as root)")
        return 1
    install = usable(environ)
    if isinstance(install, str):
        print(f"bench-live: {install}")
        return 1
    stack = environ.get("STACK", "dev")
    seconds, reps = float(environ.get("BENCH_DURATION", "3")), int(environ.get("BENCH_REPS", "3"))
    warmup, conns = float(environ.get("BENCH_WARMUP", "1")), int(environ.get("BENCH_CONNECTIONS", "16"))
    count = int(environ.get("BENCH_UPLOADS", "100"))
    profile_seconds = float(environ.get("BENCH_PROFILE_SECONDS", "5"))
    only = {n for n in environ.get("BENCH_ONLY", "").split(",") if n}
    started = time.monotonic()
    with running(stack, install) as bench, tempfile.TemporaryDirectory(prefix="ai4v-bench-") as tmp:
        names = chain(bench.doc, CHAIN_SERVICE, CHAIN_PATH)
        docs = variants(bench.doc, names)
        every = pairs(bench.key, conns, names)
        todo = [p for p in every if not only or p.name in only]
        to_profile = [] if profile_seconds <= 0 or (only and "profile" not in only) else list(
            {p.name: p for pair in every for p in (pair.ref, pair.point) if p.name in PROFILED}.values())
        scripts: dict[str, Path] = {}
        for pt in ({p.name: p for pair in todo for p in (pair.ref, pair.point)}
                   | {p.name: p for p in to_profile}).values():
            body = None
            if pt.request.body:
                body = Path(tmp, f"{pt.name}.body")
                body.write_bytes(pt.request.body)
            scripts[pt.name] = Path(tmp, f"{pt.name}.lua")
            scripts[pt.name].write_text(wrk_script(pt.request, body))
        print(f"bench-live: Kong workers on CPU {', '.join(affinity(p) for p in bench.kong_pids.values())}; "
              f"wrk on CPU {LOAD_CPU}; {reps} x {seconds:g} s per point, "
              f"{len(todo)} pairs; chain: {', '.join(names)}", flush=True)
        plain = Path(tmp, "plain.lua")
        plain.write_text(wrk_script(Request("GET", "/"), None))
        backend = wrk(f"http://{bench.backend}/", plain, conns, seconds)
        print(f"backend alone (nginx return 200, wrk on the same CPU): {backend.rps:.0f} rps, "
              f"p99 {backend.p99_ms:.2f} ms", flush=True)
        results = Results()
        for rep in range(reps):
            for pair in reversed(todo) if rep % 2 else todo:
                load_side = None
                if pair.ref.kong == "bare":
                    load_side = wrk(f"http://{bench.backend}/", plain, conns, seconds).rps
                ref, ref_peak, _ = measure(bench, pair.ref, docs, scripts, seconds, warmup)
                run, peak, _ = measure(bench, pair.point, docs, scripts, seconds, warmup)
                results.add(pair, ref, run, ref_peak, peak, load_side)
                print(f"  rep {rep + 1} {pair.ref.name:>14} {ref.rps:7.0f} rps {ref.cpu_us:6.1f} µs -> {pair.name:30} "
                      f"{run.rps:7.0f} rps {run.cpu_us:6.1f} µs ({run.rps / ref.rps:.2f}x rps, "
                      f"{ref.cpu_us / run.cpu_us if run.cpu_us else 0:.2f}x cpu)  busy {ref.busy:.2f} / {run.busy:.2f}"
                      f"  p99 {ref.p99_ms:.1f} / {run.p99_ms:.1f} ms"
                      + (f"  errors {ref.errors} / {run.errors}" if ref.errors or run.errors else "")
                      + (f"  backend alone {load_side:.0f} rps" if load_side is not None else ""), flush=True)
        profiles: dict[str, list[tuple[Counter[str], Run]]] = {}
        for rep in range(reps):
            for pt in reversed(to_profile) if rep % 2 else to_profile:
                run, _, samples = measure(bench, pt, docs, scripts, profile_seconds, warmup, profiled=True)
                profiles.setdefault(pt.name, []).append((samples, run))
                print(f"  rep {rep + 1} profiled {pt.name:14} {run.cpu_us:6.1f} µs  {sum(samples.values())} samples",
                      flush=True)
        growth = None
        if count > 0 and (not only or "uploads" in only):
            load_variant(bench, FULL, docs[FULL])
            before, after, each = uploads(bench, count)
            growth = after - before
            print(f"uploads: {count} x 50 MiB to /api/v1/asr (language-router): worker RSS {before / 1e6:.1f} -> "
                  f"{after / 1e6:.1f} MB ({growth / 1e6:+.1f} MB), {each * 1000:.0f} ms each", flush=True)
    print(f"\nbench-live {stack}: medians of {reps} alternated repetitions of {seconds:g} s [min-max]")
    for name, runs in results.runs.items():
        print(fmt_point(name, runs, results.peak[name]))
    if results.cpu_ratios:
        print("\npairs, the point's throughput / that of the point measured just before it (median [min-max] over "
              "the repetitions), from CPU per request (reference / point; and the reference's least CPU per request "
              "over the repetitions / the point's) and from requests/s:")
    best = results.best_cpu_ratio()
    for name, values in results.cpu_ratios.items():
        got = stat(values)
        line = f"  {name:30} cpu {got.median:6.3f}x [{got.low:.3f}-{got.high:.3f}] (least CPU of each: {best[name]:.3f}x)"
        if name in results.ratios:
            by_rps = stat(results.ratios[name])
            line += f"  rps {by_rps.median:6.3f}x [{by_rps.low:.3f}-{by_rps.high:.3f}]"
        print(line)
    for name, left in results.load_limited.items():
        print(f"  {name:30} {left} of {reps} repetitions left out: the backend alone with wrk served less than "
              f"{LOAD_MARGIN:g}x the bare route (CPU {LOAD_CPU} busy with other processes)")
    if "chain" in results.runs:
        refused = [n for n, runs in results.runs.items() if any(r.errors for r in runs)]
        print()
        print("\n".join(cost_table(results.cpu_ratios, stat(r.cpu_us for r in results.runs["chain"]).median,
                                   names, refused)))
    if profiles:
        print(f"\nprofiles: the worker's CPU by plugin, from LuaJIT's sampling profiler, {reps} runs of "
              f"{profile_seconds:g} s per point: median share [min-max over the runs] ± the pooled sampling error, "
              "and µs per request (tests/local_gateway/profile.py says what each bucket holds):")
        for name, profiled_runs in profiles.items():
            print("\n".join(profile.table(name, [(got, run.cpu_us) for got, run in profiled_runs],
                                           sum(run.requests for _, run in profiled_runs))))
    print()
    for target in targets(results.cpu_ratio(), results.peak_gap(), growth):
        print(target.line())
    for target in profile_targets({name: [got for got, _ in got_runs] for name, got_runs in profiles.items()}):
        print(target.line())
    rps_targets = targets(results.ratio(), {}, None, by_cpu=False)
    if rps_targets:
        print("the same from requests/s, for comparison (noisier: other processes' time on CPU 0 is in it):")
        for target in rps_targets:
            print(f"  {target.line().removeprefix('target: ')}")
    print(f"bench-live: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
