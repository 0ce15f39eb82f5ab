"""``make bench-live`` (tests/local_gateway/bench.py): its config variants, wrk's output, the target arithmetic,
and, with a Kong installed, a short run that starts both Kongs and prints its lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_gateway import bench, profile

from gateway.kong import declarative
from gateway.spec import load_spec
from gateway.spec.plugins import COUNTING_PLUGINS

ROOT = Path(__file__).resolve().parent.parent

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/api/v1/config
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.43ms    1.10ms  21.13ms   89.10%
    Req/Sec     3.61k   210.43     3.91k    86.00%
  Latency Distribution
     50%  812.00us
     75%    4.50ms
     90%    5.13ms
     99%    1.20s
  17981 requests in 5.00s, 6.95MB read
  Non-2xx or 3xx responses: 7
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:   3595.47
Transfer/sec:      1.39MB
"""


def dev_doc() -> bench.Doc:
    return declarative.render(load_spec(ROOT / "stacks", "dev", "dbless"), "dev")


def names_everywhere(doc: bench.Doc) -> list[str]:
    return [p["name"] for plugins in bench._plugin_lists(doc) for p in plugins]


def test_bench_live_parses_wrk_latency_distribution() -> None:
    """Issue 23 item 1: requests/s, p50 and p99 in milliseconds whatever wrk's unit, and every failed
    request (non-2xx answers and socket errors) counted, so a refused point is never reported as fast."""
    run = bench.parse_wrk(WRK_OUTPUT)
    assert run == bench.Run(rps=3595.47, p50_ms=0.812, p99_ms=1200.0, requests=17981, errors=10)
    with pytest.raises(ValueError, match="Requests/sec"):
        bench.parse_wrk(WRK_OUTPUT.replace("Requests/sec", "Rate"))


def test_bench_live_variants_remove_one_plugin_at_every_scope() -> None:
    """Issue 23 item 1: the cost table's variants: the dev chain of GET /api/v1/config is what Kong runs
    there (route, service, then global instances), and each variant lacks exactly one plugin, at every
    scope, with the limits raised so nothing is refused."""
    doc = dev_doc()
    chain = bench.chain(doc, bench.CHAIN_SERVICE, bench.CHAIN_PATH)
    assert {"key-auth", "jwt", "acl", "rate-limiting-inline", "identity-guard", "prometheus", "cors"} <= set(chain)
    assert "language-router" not in chain and len(chain) == len(set(chain))
    found = bench.variants(doc, chain)
    assert set(found) == {bench.FULL, bench.NO_LR, bench.LEAN_METRICS, *(f"no-{n}" for n in chain)}
    lean = [p["config"] for p in found[bench.LEAN_METRICS]["plugins"] if p["name"] == "prometheus"]
    assert lean and not any(lean[0][k] for k in bench.PROMETHEUS_PER_REQUEST) and lean[0]["upstream_health_metrics"]
    for name in chain:
        remaining = names_everywhere(found[f"no-{name}"])
        assert name not in remaining
        assert sorted(remaining + [name] * (len(names_everywhere(doc)) - len(remaining))) == \
            sorted(names_everywhere(doc))
    assert "language-router" in names_everywhere(found[bench.FULL])
    assert "language-router" not in names_everywhere(found[bench.NO_LR])
    limits = [p["config"] for plugins in bench._plugin_lists(found[bench.FULL]) for p in plugins
              if p["name"] in COUNTING_PLUGINS]
    assert limits and all(c["minute"] == c["hour"] == bench.RAISED_LIMIT for c in limits)
    assert json.dumps(doc) == json.dumps(dev_doc()), "the rendered document itself is left alone"


def test_bench_live_targets_are_issue_23s() -> None:
    """Issue 23 item 2: each target read from the median ratio of its pair (the point's throughput / that
    of the point measured just before it, from CPU per request), ``ok`` or ``missed`` at the line's end, and
    a target whose pair was not run left out."""
    results = bench.Results()
    pairs = {p.name: p for p in bench.pairs("k", 4, ["rate-limiting-inline", "rate-limiting", "acl"])}
    run = bench.Run(rps=1.0, p50_ms=1.0, p99_ms=2.0, requests=1000, errors=0)
    for ref_us, us, name in [(100, 1000 / 3, "chain"), (100, 1000 / 3.1, "chain"), (1, 1, "chain"),
                             (390, 300, "chain-no-rate-limiting-inline"), (300, 150, "chain-no-rate-limiting"),
                             (205, 200, "nmt-body-nolr"), (900, 1800, "asr-1mib-nolr")]:
        results.add(pairs[name], bench.Run(**{**vars(run), "cpu_ns": round(ref_us * 1e6)}),
                    bench.Run(**{**vars(run), "cpu_ns": round(us * 1e6)}), 9.0 * bench.ONE_MIB, 8.0 * bench.ONE_MIB)
    assert [round(r, 3) for r in results.cpu_ratios["chain"]] == [0.3, 0.31, 1.0]
    assert results.ratios["chain"] == [1.0, 1.0, 1.0], "requests/s ratios are kept too"
    lines = [t.line() for t in bench.targets(results.cpu_ratio(), results.peak_gap(), 6_000_000.0)]
    assert lines == [
        "target: dev chain / bare route throughput, by CPU µs/request: 0.310 (>= 0.3) ok",
        "target: rate-limiting cost in the chain (1 - chain / chain without it), by CPU µs/request: 0.500 (<= 0.25) missed",
        "target: rate-limiting-inline cost in the chain (1 - chain / chain without it), by CPU µs/request: 0.231 (<= 0.25) ok",
        "target: language-router cost on nmt-body (small body), by CPU µs/request: 0.024 (<= 0.05) ok",
        "target: asr-1mib with / without language-router throughput, by CPU µs/request: 2.000 (>= 0.9) ok",
        "target: asr-1mib peak RSS with - without language-router, in body sizes: 1.000 (<= 2) ok",
        "target: worker RSS growth over the 50 MiB uploads, MB: 6.000 (<= 5) missed",
    ]
    assert bench.targets({}, {}, None) == []
    assert bench.targets({"chain": 0.2}, {}, None, by_cpu=False)[0].line() == \
        "target: dev chain / bare route throughput, by requests/s: 0.200 (>= 0.3) missed"
    limited = bench.Results()
    limited.add(pairs["chain"], bench.Run(**{**vars(run), "rps": 10_000}), bench.Run(**{**vars(run), "rps": 3_000}),
                0.0, 0.0, load_side=15_000.0)
    assert limited.load_limited == {"chain": 1} and "chain" not in limited.ratio(), "wrk and the backend were the limit"
    limited.add(pairs["chain"], bench.Run(**{**vars(run), "rps": 10_000}), bench.Run(**{**vars(run), "rps": 3_000}),
                0.0, 0.0, load_side=25_000.0)
    assert limited.ratio() == {"chain": 0.3}
    assert limited.cpu_ratio() == {}, "no CPU time read, no CPU ratio"
    assert bench.stat([3.0, 1.0, 2.0]) == bench.Stat(2.0, 1.0, 3.0) and bench.stat([3.0, 1.0, 2.0]).spread == 1.0


def test_bench_live_reads_the_worker_cpu_time_from_schedstat() -> None:
    """Issue 23 item 1: the worker's time on a CPU is the first field of each of its threads'
    ``schedstat`` (ns), summed; it grows with the work the process does, not with wall time."""
    assert bench.parse_schedstat("292218591 50961197 2063\n") == 292218591
    with pytest.raises(ValueError, match="schedstat"):
        bench.parse_schedstat("0 0")
    before, wall = bench.cpu_ns(os.getpid()), time.monotonic()
    sum(i * i for i in range(300_000))
    busy = bench.cpu_ns(os.getpid()) - before
    time.sleep(0.05)
    idle = bench.cpu_ns(os.getpid()) - before - busy
    assert busy > 1_000_000 and busy < (time.monotonic() - wall) * 1e9
    assert idle < 20_000_000, "asleep, the process is not on a CPU"


def test_bench_live_cpu_per_request_and_busy_share() -> None:
    """Issue 23 item 1: CPU µs per request is the worker's CPU time over the requests wrk completed, busy
    its CPU time / wall time; a pair's CPU ratio is the reference's CPU per request / the point's (its
    throughput ratio on a core of its own), whatever requests/s said; a point line prints both and says
    when the worker was not CPU-bound."""
    run = bench.Run(rps=2000.0, p50_ms=1.0, p99_ms=2.0, requests=6000, errors=0, cpu_ns=2_700_000_000, wall_s=2.7)
    assert run.cpu_us == 450.0 and run.busy == 1.0
    assert bench.Run(rps=0.0, p50_ms=0.0, p99_ms=0.0, requests=0, errors=0).cpu_us == 0.0
    results = bench.Results()
    pair = next(p for p in bench.pairs("k", 4, ["acl"]) if p.name == "chain-no-acl")
    lighter = bench.Run(**{**vars(run), "rps": 1000.0, "cpu_ns": 2_400_000_000})
    results.add(pair, run, lighter, 0.0, 0.0)
    assert results.cpu_ratios == {"chain-no-acl": [450.0 / 400.0]} and results.ratios == {"chain-no-acl": [0.5]}
    busier = bench.Run(**{**vars(run), "cpu_ns": 3_600_000_000})
    results.add(pair, busier, bench.Run(**{**vars(run), "cpu_ns": 3_000_000_000}), 0.0, 0.0)
    assert results.cpu_ratios["chain-no-acl"] == [450.0 / 400.0, 600.0 / 500.0]
    assert results.best_cpu_ratio() == {"chain-no-acl": 450.0 / 400.0}, "the least CPU of each point over the repetitions"
    other = next(p for p in bench.pairs("k", 4, ["acl"]) if p.name == "chain-no-jwt" or p.name.endswith("access-log"))
    results.add(other, bench.Run(**{**vars(run), "cpu_ns": 1_200_000_000}), run, 0.0, 0.0)
    assert results.best_cpu_ratio()["chain-no-acl"] == 450.0 / 400.0, "the chain's runs in another pair do not count"
    line = bench.fmt_point("chain", [run, lighter], [0.0, 0.0])
    assert line.split()[1:6] == ["cpu", "425.0", "µs/req", "[400.0-450.0]", "busy"] and "NOT CPU-BOUND" not in line
    idle = bench.Run(**{**vars(run), "wall_s": 6.0})
    assert "NOT CPU-BOUND" in bench.fmt_point("bare", [idle], [0.0])


def test_bench_live_pairs_measure_each_variant_after_its_reference() -> None:
    """Issue 23 item 1: bare before the chain, the chain before each chain without one plugin, each AI point
    with language-router before the same without it, in the config variant each needs."""
    found = {p.name: p for p in bench.pairs("k", 16, ["acl", "jwt"])}
    assert list(found) == ["chain", "chain-no-acl", "chain-no-jwt", f"chain-{bench.LEAN_METRICS}",
                           f"chain-{bench.NO_ACCESS_LOG}", "nmt-body-nolr", "nmt-detected-nolr",
                           "nmt-header-nolr", "asr-1mib-nolr", "asr-50mib-nolr"]
    assert found[f"chain-{bench.NO_ACCESS_LOG}"].point.kong == bench.NO_ACCESS_LOG
    assert (found["chain"].ref.kong, found["chain"].ref.name, found["chain"].point.kong) == ("bare", "bare", "stack")
    assert found["chain-no-acl"].ref == found["chain"].point and found["chain-no-acl"].point.variant == "no-acl"
    assert found["asr-1mib-nolr"].ref.variant == bench.FULL and found["asr-1mib-nolr"].point.variant == bench.NO_LR
    assert found["asr-1mib-nolr"].ref.request == found["asr-1mib-nolr"].point.request
    assert "X-Language" in dict(found["nmt-header-nolr"].point.request.headers)


def test_bench_live_cost_table_rows() -> None:
    """Issue 23 item 1: a row per plugin with its median share of the chain's CPU per request, its min-max
    over the repetitions and its µs per request; a plugin without which the request is refused says so."""
    lines = bench.cost_table({"chain-no-acl": [1.25, 1.2, 1.3], "chain-no-key-auth": [3.0]}, 1000.0,
                             ["acl", "key-auth", "jwt"], refused=["chain-no-key-auth"])
    assert lines[1].split() == ["(whole", "chain)", "1000.0", "µs/request", "of", "worker", "CPU"]
    assert lines[2].split() == ["acl", "20.0%", "[17%", "to", "23%]", "+200.0", "µs"]
    assert lines[3].split()[:2] == ["key-auth", "n/a:"]
    assert len(lines) == 4


def test_bench_live_bodies_and_wrk_script() -> None:
    """Issue 23 item 1: the ASR bodies are exactly their size and valid JSON with the language in the body;
    the wrk script sends the method, headers and the body from its file."""
    body = bench.asr_body(bench.ONE_MIB)
    assert len(body) == bench.ONE_MIB
    assert json.loads(body)["config"]["language"]["sourceLanguage"] == "en"
    assert "sourceLanguage" not in json.loads(bench.nmt_body(False))["config"]["language"]
    script = bench.wrk_script(bench.Request("POST", "/x", (("apikey", "k"),)), Path("/tmp/b"))
    assert 'wrk.method = "POST"' in script and 'wrk.headers["apikey"] = "k"' in script and '"/tmp/b"' in script
    conf = bench.backend_conf(Path("/p"), ["127.77.1.10:8082", "127.77.1.11:8089"], 1)
    assert "worker_cpu_affinity 10;" in conf and conf.count("listen ") == 2 and "return 200" in conf


def test_bench_live_starts_and_prints_its_lines(kong: object) -> None:
    """Issue 23 item 1: a one-second run of two points starts both Kongs (one worker each, pinned), prints
    the points, the cost table's frame and a target line, and stops everything."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests"), "BENCH_ONLY": "chain,profile", "BENCH_REPS": "1",
           "BENCH_DURATION": "1", "BENCH_WARMUP": "0", "BENCH_UPLOADS": "0", "BENCH_PROFILE_SECONDS": "1"}
    if subprocess.run(["which", "wrk"], capture_output=True, check=False).returncode != 0:
        pytest.skip("needs wrk (Debian's; `make bench-live` installs it)")
    done = subprocess.run([sys.executable, "-m", "local_gateway.bench"], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Kong workers on CPU 0, 0, 0;" in out
    assert any(line.startswith("bare ") and " rps " in line for line in out.splitlines())
    assert any(line.startswith("chain ") and " p99 " in line for line in out.splitlines())
    assert "target: dev chain / bare route throughput, by CPU µs/request: " in out
    assert any(line.startswith("chain ") and " µs/req " in line and " busy " in line for line in out.splitlines())
    # the profiles: the worker's samples by plugin, language-router's on the NMT points only
    tables = out.split("\nprofiles: ", 1)[1]
    chain_rows = tables.split("\nnmt-body: ", 1)[0]
    assert "\n  prometheus " in chain_rows and "\n  nginx " in chain_rows
    assert "language-router" not in chain_rows and PROFILER_NAME not in tables
    assert "\n  language-router " in tables.split("\nnmt-body: ", 1)[1]
    assert "target: language-router cost on nmt-header (small body), by profile: " in out
    assert not list((ROOT / "build" / "live").glob("bench-*")), "the bench's gateway is gone"


PROFILER_NAME = profile.PROFILER
NGINX_ENTRY = "rewrite_by_lua(nginx-kong.conf:111):2"
KONG_LUA = "/opt/kong/share/lua/5.1/kong"
PROFILE_OUT = "\n".join([
    # a plugin's own line, and what it calls (the PDK, a C function in Kong's patches)
    f"7\tN\t{KONG_LUA}/init.lua:1169|{KONG_LUA}/plugins/key-auth/handler.lua:239|{KONG_LUA}/pdk/request.lua:591",
    f"3\tC\t{KONG_LUA}/init.lua:1169|{KONG_LUA}/plugins/key-auth/handler.lua:115|{KONG_LUA}/globalpatches.lua:149",
    # a plugin of ours, from its own prefix, calling another plugin's module: the outer one pays
    "5\tI\t/srv/x/usr/local/share/lua/5.1/kong/plugins/identity-guard/handler.lua:316|"
    f"{KONG_LUA}/plugins/jwt/jwt_parser.lua:12",
    # nginx's C between phases, delivered at a phase's first line
    f"6\tC\t{NGINX_ENTRY}",
    # Kong's own Lua, and the profiler's timer
    f"4\tN\t{NGINX_ENTRY}|{KONG_LUA}/init.lua:1169|{KONG_LUA}/runloop/handler.lua:1428",
    "1\tI\t/repo/bench/lua/kong/plugins/bench-profiler/handler.lua:80",
    "",
])


def test_bench_live_profile_buckets_by_the_outermost_plugin() -> None:
    got = profile.parse(PROFILE_OUT)
    assert got == {"key-auth": 10, "identity-guard": 5, "nginx": 6, "kong": 5}
    with pytest.raises(ValueError, match="not a profile line"):
        profile.parse("x\ty")


def test_bench_live_profile_shares_and_targets() -> None:
    """A table gives each bucket's median share over the runs, with their min-max, the pooled sampling error,
    and µs at the runs' median CPU per request; the targets read the median share."""
    runs = [({"nginx": 30, "language-router": 6, "kong": 64}, 200.0),
            ({"nginx": 30, "language-router": 10, "kong": 60}, 300.0),
            ({"nginx": 20, "language-router": 2, "kong": 78}, 100.0)]
    rows = profile.shares(runs)
    assert [r.name for r in rows] == ["kong", "nginx", "language-router"]
    lr = rows[2]
    assert (lr.share, lr.low, lr.high) == pytest.approx((0.06, 0.02, 0.10))
    assert lr.micro == pytest.approx(0.06 * 200.0)
    assert lr.error == pytest.approx((0.06 * 0.94 / 300) ** 0.5)
    assert profile.shares([]) == [] and profile.shares([({}, 1.0)]) == []
    lines = profile.table("nmt-body", runs, 1000)
    assert lines[0] == "nmt-body: 200.0 µs/request of worker CPU (median), 3 runs, 1000 requests, 300 samples"
    assert lines[3] == "  language-router            6.0% [2.0%-10.0%] ±1.4%    12.0 µs"
    counting = COUNTING_PLUGINS[0]
    targets = {t.text: t for t in bench.profile_targets(
        {"chain": [{counting: 30, "kong": 70}, {counting: 20, "kong": 80}, {counting: 40, "kong": 60}],
         "nmt-header": [{"language-router": 4, "kong": 96}], "nmt-body": [{"kong": 1}]})}
    assert targets[f"{counting} cost in the chain, by profile"].value == pytest.approx(0.30)
    assert not targets[f"{counting} cost in the chain, by profile"].ok
    assert targets["language-router cost on nmt-header (small body), by profile"].ok
    assert targets["language-router cost on nmt-body (small body), by profile"].value == 0
    assert "language-router cost on nmt-detected (small body), by profile" not in targets


def test_bench_live_profiler_is_loaded_by_the_bench_only() -> None:
    """The profiler's plugin is in the bench's Kongs (KONG_PLUGINS, package path), never in a rendered
    stack: the platform's plugin list and files are those of lua/."""
    from gateway.platform import kongconf

    env = profile.kong_env(kongconf.PLUGINS, "/x/?.lua;;")
    assert env["KONG_PLUGINS"].endswith(f",{PROFILER_NAME}")
    assert env["KONG_LUA_PACKAGE_PATH"].startswith(str(profile.LUA_DIR)) and env["KONG_LUA_PACKAGE_PATH"].endswith("/x/?.lua;;")
    assert (profile.LUA_DIR / "kong" / "plugins" / PROFILER_NAME / "handler.lua").is_file()
    assert PROFILER_NAME not in kongconf.PLUGINS and PROFILER_NAME not in kongconf.custom_plugin_files()
