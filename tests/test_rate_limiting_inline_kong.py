"""rate-limiting-inline on a real Kong 3.9.3 (issue 23): one DB-less, one-worker Kong of this module's own,
with twin routes carrying Kong's rate-limiting and rate-limiting-inline, and a redis-server of its own when
Debian's is installed. What a client sees must be Kong's rate-limiting's; the counting differs only in being
done in the request (no timer: kong/plugins/rate-limiting/handler.lua ``access``, ``timer_at(0, increment)``)."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from local_gateway import kong_install

from gateway.platform import kongconf

LUA = Path(__file__).resolve().parent.parent / "lua"
RL_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "x-ratelimit-limit-minute",
              "x-ratelimit-remaining-minute", "x-ratelimit-limit-hour", "x-ratelimit-remaining-hour")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class LittleKong:
    proxy: str
    admin: str
    redis_port: int | None
    """Our redis-server's port; None without redis-server."""
    down_port: int
    """A port nothing listens on: Redis down."""
    doc: dict[str, Any]
    """The declarative configuration it loaded."""


def _route(name: str, plugin: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "paths": [f"/{name}"], "plugins": [{"name": plugin, "config": config}]}


def declarative(admin_port: int, redis_port: int, down_port: int) -> dict[str, Any]:
    """Twin routes per case, ``<case>-kong`` with Kong's rate-limiting and ``<case>-inline`` with ours; the
    backend is the Admin API's /status (200, JSON)."""
    per_ip = {"limit_by": "ip"}
    redis = {"policy": "redis", "redis": {"host": "127.0.0.1", "port": redis_port}}
    routes = []
    for plugin, suffix in (("rate-limiting", "kong"), ("rate-limiting-inline", "inline")):
        routes += [
            _route(f"five-{suffix}", plugin, {"minute": 5, "hour": 7, **per_ip}),
            _route(f"redis-{suffix}", plugin, {"minute": 5, "hour": 7, **per_ip, **redis}),
        ]
    routes += [
        _route("many-inline", "rate-limiting-inline", {"minute": 300, **per_ip}),
        _route("switch", "rate-limiting", {"minute": 10, **per_ip}),
        _route("down-tolerant", "rate-limiting-inline",
               {"minute": 5, **per_ip, "policy": "redis", "redis": {"host": "127.0.0.1", "port": down_port}}),
        _route("down-strict", "rate-limiting-inline", {"minute": 5, **per_ip, "policy": "redis", "fault_tolerant": False,
                                                       "redis": {"host": "127.0.0.1", "port": down_port}}),
    ]
    return {"_format_version": "3.0",
            "services": [{"name": "status", "url": f"http://127.0.0.1:{admin_port}/status", "routes": routes}]}


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def little_kong(kong: kong_install.KongInstall) -> Iterator[LittleKong]:
    proxy, admin, redis_port, down_port = (_free_port() for _ in range(4))
    prefix = Path(tempfile.mkdtemp(prefix="rli-"))  # short: nginx's unix sockets live under it
    redis: subprocess.Popen[bytes] | None = None
    if shutil.which("redis-server"):
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = prefix / "kong.yml"
    doc = declarative(admin, redis_port, down_port)
    config.write_text(yaml.safe_dump(doc), encoding="utf-8")
    env = {"KONG_PREFIX": str(prefix / "kong"), "KONG_DATABASE": "off", "KONG_DECLARATIVE_CONFIG": str(config),
           "KONG_PROXY_LISTEN": f"127.0.0.1:{proxy}", "KONG_ADMIN_LISTEN": f"127.0.0.1:{admin}",
           "KONG_STATUS_LISTEN": "off", "KONG_ADMIN_GUI_LISTEN": "off",
           "KONG_NGINX_WORKER_PROCESSES": "1", "KONG_PLUGINS": kongconf.PLUGINS,
           "KONG_LUA_PACKAGE_PATH": kong.lua_package_path(LUA), "KONG_ANONYMOUS_REPORTS": "off"}
    if os.geteuid() == 0:
        env["KONG_NGINX_USER"] = "root root"
    env = kong.command_env(os.environ, env)
    started = subprocess.run([str(kong.kong), "start"], env=env, cwd=kong.lua_dir, capture_output=True, text=True,
                             timeout=120, check=False)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        _wait(f"http://127.0.0.1:{proxy}/")
        if redis:
            _wait_redis(redis_port)
        yield LittleKong(f"http://127.0.0.1:{proxy}", f"http://127.0.0.1:{admin}", redis_port if redis else None,
                         down_port, doc)
    finally:
        subprocess.run([str(kong.kong), "stop", "-p", str(prefix / "kong")], env=env, cwd=kong.lua_dir,
                       capture_output=True, timeout=60, check=False)
        if redis:
            redis.terminate()
            redis.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


def _wait_redis(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _redis(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10,
                          check=True).stdout.strip()


def _seen(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in RL_HEADERS if name in response.headers}


def _fresh_minute(needed: float = 10) -> None:
    """Kong's windows are calendar minutes (kong/tools/timestamp.lua): start a sequence well inside one."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.1)


def _twins(gw: httpx.Client, case: str, count: int) -> list[tuple[httpx.Response, httpx.Response]]:
    """``count`` requests to ``<case>-kong`` and ``<case>-inline``, interleaved (the same second, mostly)."""
    out = []
    for _ in range(count):
        kong_rl = gw.get(f"/{case}-kong")
        time.sleep(0.05)  # Kong's rate-limiting counts in a timer after the request
        out.append((kong_rl, gw.get(f"/{case}-inline")))
    return out


def _same_as_kongs(pairs: list[tuple[httpx.Response, httpx.Response]]) -> None:
    for kong_rl, inline in pairs:
        assert inline.status_code == kong_rl.status_code
        ours, theirs = _seen(inline), _seen(kong_rl)
        assert set(ours) == set(theirs)
        for name in ("ratelimit-reset", "retry-after"):  # may straddle a second
            if name in ours:
                assert abs(int(ours.pop(name)) - int(theirs.pop(name))) <= 1
        assert ours == theirs
        if inline.status_code == 429:
            assert inline.json()["message"] == kong_rl.json()["message"] == "API rate limit exceeded"


def test_rate_limiting_inline_answers_as_kongs_rate_limiting(little_kong: LittleKong) -> None:
    """Issue 23 item 2: on a real Kong, minute 5 / hour 7 per address: 5 requests through, the 6th and 7th
    refused with 429, each with the status and the RateLimit-*, X-RateLimit-*-Minute/-Hour and Retry-After
    headers Kong's rate-limiting gives on its twin route (refused requests are not counted: the hour keeps 2)."""
    _fresh_minute()
    with httpx.Client(base_url=little_kong.proxy, timeout=10) as gw:
        pairs = _twins(gw, "five", 7)
    assert [inline.status_code for _, inline in pairs] == [200] * 5 + [429] * 2
    _same_as_kongs(pairs)
    assert pairs[-1][1].headers["x-ratelimit-remaining-hour"] == "2"


def test_switching_from_rate_limiting_keeps_the_count(little_kong: LittleKong) -> None:
    """Issue 23 item 2: the counter keys are Kong's (policies/init.lua get_local_key): a route moved from
    rate-limiting to rate-limiting-inline counts on from where it was."""
    _fresh_minute()
    with httpx.Client(base_url=little_kong.proxy, timeout=10) as gw:
        before = [int(gw.get("/switch").headers["x-ratelimit-remaining-minute"]) for _ in range(3)]
        doc = copy.deepcopy(little_kong.doc)
        for route in doc["services"][0]["routes"]:
            if route["name"] == "switch":
                route["plugins"][0]["name"] = "rate-limiting-inline"
        posted = httpx.post(f"{little_kong.admin}/config", json={"config": yaml.safe_dump(doc)}, timeout=30)
        assert posted.status_code == 201, posted.text
        after = [int(gw.get("/switch").headers["x-ratelimit-remaining-minute"]) for _ in range(2)]
    assert before == [9, 8, 7]
    assert after == [6, 5]


def test_rate_limiting_inline_counts_each_admitted_request_exactly(little_kong: LittleKong) -> None:
    """Issue 23 item 2: in the request, with 16 concurrent clients, exactly the limit passes (300 of 400)."""
    _fresh_minute(needed=20)
    with httpx.Client(base_url=little_kong.proxy, timeout=10, limits=httpx.Limits(max_connections=16)) as gw, \
            ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _i: gw.get("/many-inline").status_code, range(400)))
    assert statuses.count(200) == 300 and statuses.count(429) == 100


def test_rate_limiting_inline_redis_policy(little_kong: LittleKong) -> None:
    """Issue 23 item 2: policy redis, one atomic script per request: Kong's answers and headers, Kong's key
    per window (with its expiry), and the refused requests not counted (Kong's own counts them)."""
    if little_kong.redis_port is None:
        pytest.skip("needs redis-server (Debian's redis-server)")
    _fresh_minute()
    with httpx.Client(base_url=little_kong.proxy, timeout=10) as gw:
        pairs = _twins(gw, "redis", 7)
        routes = {r["name"]: r["id"] for r in httpx.get(f"{little_kong.admin}/routes", timeout=10).json()["data"]}
    assert [inline.status_code for _, inline in pairs] == [200] * 5 + [429] * 2
    _same_as_kongs(pairs[:6])
    # Kong's redis policy counted the 6th, refused, request (its usage() INCRs every window first)
    kong_rl, inline = pairs[6]
    assert (kong_rl.headers["x-ratelimit-remaining-hour"], inline.headers["x-ratelimit-remaining-hour"]) == ("1", "2")
    keys = _redis(little_kong.redis_port, "--scan", "--pattern", f"ratelimit:{routes['redis-inline']}:*").split()
    counts = {key.rsplit(":", 1)[1]: int(_redis(little_kong.redis_port, "get", key)) for key in keys}
    assert counts == {"minute": 5, "hour": 5}
    for key in keys:
        ttl = int(_redis(little_kong.redis_port, "ttl", key))
        assert 0 < ttl <= (60 if key.endswith(":minute") else 3600)
    theirs = _redis(little_kong.redis_port, "--scan", "--pattern", f"ratelimit:{routes['redis-kong']}:*").split()
    assert sorted(k.split(":", 2)[2] for k in theirs) == sorted(k.split(":", 2)[2] for k in keys)
    assert {int(_redis(little_kong.redis_port, "get", k)) for k in theirs} == {7}


def test_rate_limiting_inline_redis_down_fault_tolerant_or_500(little_kong: LittleKong) -> None:
    """Issue 23 item 2: Redis down: fault_tolerant proxies (no rate-limit headers), otherwise 500, as Kong."""
    with httpx.Client(base_url=little_kong.proxy, timeout=10) as gw:
        tolerant, strict = gw.get("/down-tolerant"), gw.get("/down-strict")
    assert tolerant.status_code == 200 and not _seen(tolerant)
    assert strict.status_code == 500
