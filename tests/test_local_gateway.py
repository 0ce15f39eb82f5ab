"""The local gateway (tests/local_gateway, docs/LOCAL_GATEWAY.md): what it gives Kong, its echo backends, its log check,
and that nothing of it outlives ``down``, a second run, or an interrupted run. The tests that start Kong are
skipped without one (the reason says how to get one)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from local_gateway import gateway, kong_install, logcheck, node, run
from local_gateway.echo import DELAY_HEADER, STATUS_HEADER
from local_gateway.layout import LIVE_DIR, Layout, allocate
from local_gateway.processes import Proc, alive, free_ports, spawn, stop, wait_until

from gateway.platform import kongconf
from gateway.platform.tls import SelfSigned
from gateway.spec import load_spec
from gateway.stack.settings import read_stack_settings

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ONLY = {"KONG_PREFIX", "KONG_NGINX_DAEMON", "KONG_DNS_HOSTSFILE", "KONG_LUA_PACKAGE_PATH", "KONG_NGINX_USER"}
"""docs/LOCAL_GATEWAY.md's table of differences."""
RELOCATED = {"KONG_PROXY_LISTEN", "KONG_ADMIN_LISTEN", "KONG_STATUS_LISTEN", "KONG_ADMIN_GUI_LISTEN",
             "KONG_ADMIN_GUI_URL", "KONG_ADMIN_GUI_API_URL", "KONG_NGINX_HTTP_INCLUDE", "KONG_NGINX_PROXY_INCLUDE",
             "KONG_NGINX_ADMIN_INCLUDE",
             "KONG_SSL_CERT", "KONG_SSL_CERT_KEY", "KONG_DECLARATIVE_CONFIG", "KONG_PG_HOST"}


@pytest.mark.parametrize("mode", ["dbless", "db"])
def test_a_node_gets_the_docker_nodes_settings(mode: str, tmp_path: Path) -> None:
    """Every KONG_* of the Docker node, unchanged but for the listeners and file paths; nothing else added
    but what docs/LOCAL_GATEWAY.md lists."""
    settings = read_stack_settings(ROOT, "dev").model_copy(update={"mode": mode})
    edge = load_spec(ROOT / "stacks", "dev").edge
    docker_conf = kongconf.node_conf(settings, 1, edge)
    docker = {**kongconf.kong_env(docker_conf), **kongconf.admin_access_env(docker_conf)}
    install = kong_install.KongInstall(tmp_path, tmp_path / "kong", tmp_path / "nginx", {}, None)
    conf = node.node_conf(settings, 1, edge, node.NodePorts(1001, 1002, 1003, 1004, 1005, 1006), tmp_path / "n1")
    local = node.node_env(install, conf, Layout(tmp_path, 9), tmp_path / "prefix", {})
    assert set(local) - set(docker) <= LOCAL_ONLY
    assert set(docker) <= set(local)
    changed = {key for key in docker if docker[key] != local[key]}
    assert changed <= RELOCATED
    for key in changed & {"KONG_SSL_CERT", "KONG_NGINX_HTTP_INCLUDE", "KONG_NGINX_ADMIN_INCLUDE",
                          "KONG_DECLARATIVE_CONFIG"}:
        assert local[key] == f"{tmp_path / 'n1'}{docker[key]}", key  # the container's path, under the node
    assert local["KONG_PROXY_LISTEN"].startswith("127.0.0.1:1001 ")


def test_the_certificate_is_what_pulumi_tls_is_asked_for(tmp_path: Path) -> None:
    wanted = SelfSigned(("localhost", "gw.example"))
    node.write_certificate(tmp_path / "c.pem", tmp_path / "k.pem", wanted)
    text = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "c.pem"), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "CN = localhost" in text and "O = ai4v-gateway (self-signed)" in text
    assert "DNS:localhost, DNS:gw.example, IP Address:127.0.0.1" in text
    assert "prime256v1" in text and "TLS Web Server Authentication" in text
    assert oct((tmp_path / "k.pem").stat().st_mode & 0o777) == "0o600"


@pytest.fixture
def echo_url() -> Iterator[str]:
    port = free_ports("127.0.0.1", 1)[0]
    proc = spawn("echo", [sys.executable, str(gateway.ECHO), "--listen", f"127.0.0.1:{port}", "--hostname", "tts-2"],
                 env=gateway.PROCESS_ENV, log=Path(os.devnull))
    try:
        wait_until("echo", lambda: _answers(port), proc, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def _answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def test_echo_answers_like_the_demo_backend(echo_url: str) -> None:
    sent = {"input": [{"source": "hi"}]}
    response = httpx.post(f"{echo_url}/api/v1/tts?a=1&a=2&b=", json=sent, headers={"X-Thing": "v"})
    data = response.json()
    assert response.status_code == 200
    assert (data["path"], data["method"], data["os"]["hostname"]) == ("/api/v1/tts", "POST", "tts-2")
    assert data["query"] == {"a": ["1", "2"], "b": ""}
    assert data["headers"]["x-thing"] == "v" and json.loads(data["body"]) == sent == data["json"]
    started = time.monotonic()
    answered = httpx.get(f"{echo_url}/x", headers={STATUS_HEADER: "503", DELAY_HEADER: "300"})
    assert answered.status_code == 503 and time.monotonic() - started >= 0.3
    assert httpx.get(f"{echo_url}/x?{STATUS_HEADER}=418").status_code == 418


def test_the_documented_log_lines_are_the_only_ones_accepted() -> None:
    patterns = logcheck.documented()
    assert len(patterns) >= 5
    deprecated = ("2026/12/07 13:17:54 [warn] 1#1: *1 [lua] healthcheck.lua:1150: log(): [healthcheck] "
                  "(0b6bd3f9-ad5a-4c2c-9ba2-4b1e6b0c6d70:asr) array headers is deprecated, context: ngx.timer")
    other = "2026/12/07 13:17:54 [error] 1#1: *1 [lua] handler.lua:9: something new broke"
    access = '{"path":"/api/v1/x[warn]","status":"200"}'
    report = logcheck.check([deprecated, other, access, "2026/12/07 [notice] 1#1: start worker"], patterns)
    assert report.unexplained == [other]
    assert sum(report.matched.values()) == 1


def test_a_missing_kong_is_one_line_saying_how_to_get_one(tmp_path: Path) -> None:
    reason = kong_install.find({"KONG_HOME": str(tmp_path)})
    assert isinstance(reason, str) and "holds no Kong" in reason and "KONG_HOME" in reason
    assert "docs/LOCAL_GATEWAY.md" in reason and "kong-3.9.3" in reason


def test_networks_are_claimed_once(tmp_path: Path) -> None:
    first, second = allocate("a", tmp_path), allocate("b", tmp_path)
    assert first.network != second.network
    with pytest.raises(FileExistsError):
        allocate("a", tmp_path)


def _processes(root: Path) -> list[Proc]:
    return [Proc.from_json(p) for p in json.loads((root / "gateway.json").read_text())["local"]["processes"]]


def test_up_down_twice_leaves_nothing(tmp_path: Path, kong: kong_install.KongInstall) -> None:
    for mode in ("db", "dbless"):
        state = gateway.up("dev", mode, kong, live_dir=tmp_path, name="twice", entities=False)
        procs, data_dir = _processes(state.layout.root), state.postgres.data_dir if state.postgres else ""
        assert procs and all(alive(p) for p in procs)
        assert {p.role for p in procs} >= {"redis", "kong-1", "echo-nmt-service"}
        gateway.down(state.layout.root)
        assert not any(alive(p) for p in procs)
        left = [path for path in (state.layout.root, *map(Path, state.prefixes)) if path.exists()]
        assert state.prefixes and left == []
        assert (mode == "db") == bool(data_dir) and not (data_dir and Path(data_dir).exists())


@pytest.mark.usefixtures("kong")
def test_an_interrupted_run_leaves_nothing() -> None:
    """``make live`` stopped by SIGTERM while the live suite runs: every process and file of it is gone."""
    env = {**os.environ, "STACK": "dev", "MODES": "dbless", "PYTHONPATH": "tests"}
    child = subprocess.Popen([sys.executable, "-m", "local_gateway.run"], cwd=ROOT, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    root = LIVE_DIR / f"run-{child.pid}-dev-dbless"
    try:
        wait_until("the run's gateway", lambda: (root / "gateway.json").is_file() and any(
            p.role == "kong-1" for p in _processes(root)), None, timeout=120)
        procs = _processes(root)
        prefixes = [Path(n["prefix"]) for n in json.loads((root / "gateway.json").read_text())["local"]["nodes"]]
        time.sleep(2)  # into the live suite
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, output[-2000:]
    assert "interrupted; everything it started is stopped" in output
    assert not any(alive(p) for p in procs)
    assert not root.exists() and prefixes and not any(p.exists() for p in prefixes)


def test_a_killed_runs_gateway_is_removed_by_the_next(tmp_path: Path, kong: kong_install.KongInstall) -> None:
    state = gateway.up("dev", "dbless", kong, live_dir=tmp_path, name="run-999999999-dev-dbless")  # no such pid
    procs = _processes(state.layout.root)
    assert run.remove_orphans(tmp_path) == ["run-999999999-dev-dbless"]
    assert not any(alive(p) for p in procs) and not state.layout.root.exists()


def test_the_summary_is_pytests_last_line() -> None:
    assert run._summary("x\n1 failed, 92 passed, 3 skipped in 48.20s\n") == "1 failed, 92 passed, 3 skipped"
    assert run._summary("nothing here") == "no result"


@pytest.mark.usefixtures("kong")
def test_the_readmes_live_commands_run_as_written() -> None:
    """README's ``make live-up MODE=db`` (one JSON object: the stack outputs and ``stateFile``) and
    ``make live-down``, in the checkout (``make live`` itself is what ``make test`` runs)."""
    from test_readme_commands import readme_commands

    up, down = (next(c for c in readme_commands() if c.startswith(f"make {t}")) for t in ("live-up", "live-down"))
    if (LIVE_DIR / "up-dev").exists():
        pytest.skip("a gateway of `make live-up` is running in this checkout; `make live-down` first")
    started = subprocess.run(["bash", "-c", up], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        shown, _ = json.JSONDecoder().raw_decode(started.stdout[started.stdout.index("{"):])  # make may add lines
        assert shown["mode"] == "db" and shown["stack"] == "dev"
        assert set(shown["consumerKeys"]) >= {"ai4voice-client/primary", "developer-client/primary"}
        key = shown["consumerKeys"]["ai4voice-client/primary"]
        answer = httpx.post(f"{shown['proxyUrls'][0]}/api/v1/nmt", headers={"apikey": key},
                            json={"input": [{"source": "नमस्ते"}], "config": {"language": {"targetLanguage": "en"}}})
        assert answer.status_code == 200 and answer.json()["headers"]["x-detected-language"] == "hi"
        procs = _processes(Path(shown["stateFile"]).parent)
    finally:
        stopped = subprocess.run(["bash", "-c", down], cwd=ROOT, capture_output=True, text=True, timeout=120,
                                 check=False)
    assert stopped.returncode == 0 and "up-dev: stopped" in stopped.stderr
    assert not any(alive(p) for p in procs) and not (LIVE_DIR / "up-dev").exists()


def test_down_stops_what_a_killed_run_never_recorded(tmp_path: Path) -> None:
    """A run killed between starting a process and writing gateway.json: the process still writes its log
    in the gateway's folder, and that is how ``down`` finds it."""
    layout = allocate("run-999999999-dev-db", tmp_path)
    port = free_ports("127.0.0.1", 1)[0]
    stray = spawn("echo", [sys.executable, str(gateway.ECHO), "--listen", f"127.0.0.1:{port}", "--hostname", "x"],
                  env=gateway.PROCESS_ENV, log=layout.logs / "echo.log")
    assert alive(stray)
    assert gateway.down(layout.root) == [f"pid {stray.pid}"]
    assert not alive(stray) and not layout.root.exists()
