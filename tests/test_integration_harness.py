"""The live suite's harness without Kong: settings discovery, skip reasons, the smoke report.

The local servers here are deliberately *not* Kong: one answers Kong's 404 to everything, one is a bare
echo backend with no gateway in front. The whole live suite runs against each of them and must not pass
a single test, which shows its assertions depend on a gateway that routes, authenticates and transforms.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from integration import live, smoke
from local_gateway.echo import Echo

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
OUTPUTS = {
    "proxyUrls": ["http://localhost:8000"], "proxyTlsUrls": ["https://localhost:8443"],
    "adminUrl": "http://127.0.0.1:8001",
    "consumerKeys": {"ai4voice-client/primary": "k-main", "developer-client/primary": "k-dev",
                     "asr-only-client/primary": "k-asr", "pipeline-client/primary": "k-pipe"},
    "consumerJwtSecrets": {"web-user/ai4v-web": "jwt-secret"},
}
ENV_SETTINGS = {live.ENV_PROXY: "http://gw.example:8000", live.ENV_KEY: "e-main", live.ENV_DEVELOPER_KEY: "e-dev",
                live.ENV_ASR_ONLY_KEY: "e-asr", live.ENV_JWT_SECRET: "e-jwt"}


class FakePulumi:
    """Stands in for ``subprocess.run`` of the pulumi CLI; records what it was asked."""

    def __init__(self, stdout: str = json.dumps(OUTPUTS), returncode: int = 0, stderr: str = "") -> None:
        self.stdout, self.returncode, self.stderr = stdout, returncode, stderr
        self.calls: list[dict[str, Any]] = []

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append({"args": args, **kwargs})
        return subprocess.CompletedProcess(args, self.returncode, self.stdout, self.stderr)


@pytest.fixture
def pulumi_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has an executable named ``pulumi`` (the runner is faked anyway)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text("#!/bin/sh\nexit 99\n")
    exe.chmod(0o755)
    return {"PATH": str(bin_dir)}


def test_environment_alone_needs_no_pulumi() -> None:
    def never(*_args: Any, **_kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise AssertionError("pulumi must not run when the environment has every setting")

    found = live.discover({**ENV_SETTINGS, live.ENV_PROXY: "http://a:8000/, http://a:8010", "PATH": ""}, ROOT, never)
    assert isinstance(found, live.Settings)
    assert found.proxy_urls == ("http://a:8000", "http://a:8010")
    assert (found.key, found.developer_key, found.asr_only_key, found.jwt_secret) == ("e-main", "e-dev", "e-asr", "e-jwt")
    assert found.source == "environment" and found.admin_url is None
    assert found.demo_backends is True  # Pulumi.dev.yaml: demoBackends true
    assert found.verify_tls is True
    assert "e-main" not in repr(found) and "e-jwt" not in repr(found), "tracebacks show settings: no secret in repr"


def test_stack_outputs_fill_the_gaps_with_make_ups_backend(tmp_path: Path, pulumi_on_path: dict[str, str]) -> None:
    (tmp_path / ".pulumi-state").mkdir()
    (tmp_path / ".pulumi-state" / "passphrase").write_text("pp\n")
    fake = FakePulumi()
    env = {**pulumi_on_path, live.ENV_KEY: "from-env", live.ENV_STACK: "dev"}
    found = live.discover(env, tmp_path, fake)
    assert isinstance(found, live.Settings)
    [call] = fake.calls
    assert call["args"] == ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", "dev"]
    assert call["cwd"] == tmp_path
    assert call["env"]["PULUMI_BACKEND_URL"] == f"file://{tmp_path / '.pulumi-state'}"
    assert call["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(tmp_path / ".pulumi-state" / "passphrase")
    assert found.key == "from-env", "an environment variable wins over the stack output"
    assert (found.developer_key, found.asr_only_key, found.jwt_secret) == ("k-dev", "k-asr", "jwt-secret")
    assert found.proxy_urls == ("http://localhost:8000",) and found.admin_url == "http://127.0.0.1:8001"
    assert found.source == "pulumi stack output --stack dev"


def test_backend_is_make_ups_and_the_operators_passphrase_is_kept(pulumi_on_path: dict[str, str]) -> None:
    fake = FakePulumi()
    env = {**pulumi_on_path, "PULUMI_BACKEND_URL": "s3://bucket/state", "PULUMI_CONFIG_PASSPHRASE": "mine",
           live.ENV_STACK: "staging"}
    found = live.discover(env, ROOT, fake)
    assert isinstance(found, live.Settings)
    [call] = fake.calls
    assert call["args"][-1] == "staging"
    assert call["env"]["PULUMI_BACKEND_URL"] == f"file://{ROOT / '.pulumi-state'}", "scripts/up.sh's state"
    assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "mine"
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in call["env"]
    assert found.proxy_urls == ("https://localhost:8443",), "staging is HTTPS only: its TLS proxy"


def test_without_pulumi_the_reason_says_how_to_run(tmp_path: Path) -> None:
    reason = live.discover({"PATH": str(tmp_path)}, ROOT, FakePulumi())
    assert isinstance(reason, str)
    assert "the Pulumi CLI is not installed" in reason
    assert "`make up && make integration`" in reason
    for name in (live.ENV_PROXY, live.ENV_KEY, live.ENV_JWT_SECRET):
        assert name in reason


def test_a_failing_pulumi_is_one_line_without_secrets(pulumi_on_path: dict[str, str]) -> None:
    fake = FakePulumi(stdout="", returncode=255, stderr="\nerror: no stack named 'dev' found\nmore detail\n")
    reason = live.discover(pulumi_on_path, ROOT, fake)
    assert isinstance(reason, str) and "\n" not in reason
    assert "`pulumi stack output --stack dev` failed: error: no stack named 'dev' found" in reason
    assert "make up && make integration" in reason


def test_outputs_missing_a_credential_are_named(pulumi_on_path: dict[str, str]) -> None:
    outputs = {**OUTPUTS, "consumerJwtSecrets": {}}
    reason = live.discover(pulumi_on_path, ROOT, FakePulumi(json.dumps(outputs)))
    assert isinstance(reason, str) and live.ENV_JWT_SECRET in reason and "jwt-secret" not in reason


def test_not_opted_in_is_the_make_test_reason() -> None:
    reason = live.availability({**ENV_SETTINGS})
    assert isinstance(reason, str) and "`make up && make integration`" in reason


def test_pacer_keeps_to_its_rate() -> None:
    import time

    pacer = live.Pacer(per_second=50, burst=5)
    started = time.monotonic()
    for _ in range(15):
        pacer.wait()
    assert 0.15 <= time.monotonic() - started < 1.0  # 5 at once, then 10 at 50/s


def test_hs256_token_verifies() -> None:
    import base64
    import hashlib
    import hmac

    token = live.hs256_token("s3cret", {"iss": "ai4v-web", "sub": "alice"})
    head, payload, signature = token.split(".")
    expected = hmac.new(b"s3cret", f"{head}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"iss": "ai4v-web", "sub": "alice"}


def test_smoke_lines() -> None:
    areas = {"routing": smoke.Area(passed=3), "auth": smoke.Area(passed=1, failures=["test_x: assert 404 == 401"]),
             "load balancing": smoke.Area(skips=["needs the demo echo backends"])}
    assert smoke.lines(areas) == [
        "✗ auth            test_x: assert 404 == 401",
        "✗ load balancing  not checked: needs the demo echo backends",
        "✓ routing         3 passed",
    ]
    assert smoke.area_of("tests/integration/test_rate_limiting.py::test_a[b]") == "rate limiting"
    assert smoke.first_line("def f():\n>   assert x\nE   assert 404 == 200\nE    +  where") == "assert 404 == 200"
    assert smoke.first_line("x" * 200).endswith("…") and len(smoke.first_line("x" * 200)) == 160


# ---- servers that are not a gateway ---------------------------------------------------------------------

class NotFound(BaseHTTPRequestHandler):
    """Kong's 404 JSON for every request: a gateway with no routes."""

    timeout = 10  # a client that stops sending never holds a handler thread

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(404, {"message": "no Route matched with those values"})

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self) -> None:
        self._answer()

    do_GET = do_POST = do_OPTIONS = do_PUT = do_DELETE = _dispatch  # noqa: N815 (http.server's handler names)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class BareEcho(Echo):
    """The local gateway's echo backend (the demo backends' answers) with no gateway in front of it."""

    os_hostname = "nmt-service"
    timeout = 10


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


def serve(handler: type[BaseHTTPRequestHandler]) -> Generator[str, None, None]:
    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    """Both servers that are not a gateway, by name."""
    not_found, bare_echo = serve(NotFound), serve(BareEcho)
    yield {"not_found": next(not_found), "bare_echo": next(bare_echo)}
    not_found.close()
    bare_echo.close()


def live_env(url: str) -> dict[str, str]:
    """The suite pointed at ``url`` with every opt-in on. PATH holds no program: the child runs Python by
    its full path, and the docker tests must skip here rather than stop a real stack's containers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AI4V_", "KONG_", "PULUMI_"))}
    return {**env, **ENV_SETTINGS, live.ENV_PROXY: url, live.ENV_ADMIN: url, live.ENV_DEMO_BACKENDS: "1",
            live.ENV_RPS: "1000", live.ENV_OPT_IN: "1", live.ENV_SLOW: "1", live.ENV_DESTRUCTIVE: "1",
            "PATH": str(ROOT / "tests" / "integration" / "no-programs-here")}


@dataclass
class Outcome:
    passed: list[str]
    failed: list[str]
    skipped: dict[str, str]
    output: str


def run_suite(env: dict[str, str], report: Path) -> Outcome:
    """The live suite in a child pytest; its outcome per test from the JUnit report."""
    done = subprocess.run([PY, "-m", "pytest", "tests/integration", "-p", "no:cacheprovider", "-rs",
                           f"--junitxml={report}"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    outcome = Outcome([], [], {}, done.stdout + done.stderr)
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        skipped = case.find("skipped")
        if skipped is not None:
            outcome.skipped[name] = skipped.get("message", "")
        elif case.find("failure") is not None or case.find("error") is not None:
            outcome.failed.append(name)
        else:
            outcome.passed.append(name)
    return outcome


def run_smoke(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "integration.smoke"], cwd=ROOT, env={**env, "PYTHONPATH": "tests"},
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def runs(fakes: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The suite as `make test` runs it, against each fake, and smoke against the no-route one: at once."""
    tmp = tmp_path_factory.mktemp("runs")
    make_test_env = {k: v for k, v in os.environ.items() if k != live.ENV_OPT_IN}
    with ThreadPoolExecutor(4) as pool:
        futures: dict[str, Future[Any]] = {
            "make_test": pool.submit(run_suite, make_test_env, tmp / "make_test.xml"),
            "smoke": pool.submit(run_smoke, live_env(fakes["not_found"])),
        }
        for name, url in fakes.items():
            futures[name] = pool.submit(run_suite, live_env(url), tmp / f"{name}.xml")
        return {name: future.result() for name, future in futures.items()}


def test_make_test_collects_and_skips_every_live_test(runs: dict[str, Any]) -> None:
    outcome: Outcome = runs["make_test"]
    assert not outcome.passed and not outcome.failed, outcome.output[-2000:]
    assert len(outcome.skipped) >= 35
    assert {reason for reason in outcome.skipped.values()} == {
        "live integration test, needs a deployed gateway: run `make up && make integration` (or `make smoke`)"}


@pytest.mark.parametrize("server", ["not_found", "bare_echo"])
def test_no_live_test_passes_without_a_gateway(server: str, runs: dict[str, Any]) -> None:
    outcome: Outcome = runs[server]
    assert outcome.passed == [], outcome.passed
    assert len(outcome.failed) >= 35
    assert {reason.split(" (")[0] for reason in outcome.skipped.values()} == {
        "needs the docker CLI on the Docker host of the stack", "needs a stack with two or more Kong nodes and "
        "a rate limit with policy redis"}, outcome.skipped
    assert "e-main" not in outcome.output and "e-jwt" not in outcome.output, "a key in the test output"


def test_smoke_against_a_gateway_with_no_routes(runs: dict[str, Any]) -> None:
    done = runs["smoke"]
    assert done.returncode == 1, done.stdout + done.stderr
    area_lines = [line for line in done.stdout.splitlines() if line[:1] in "✓✗"]
    areas = {line[2:].split("  ")[0].strip() for line in area_lines}
    assert areas == {"auth", "language routing", "load balancing", "rate limiting", "routing", "security",
                     "transformation", "versioning"}, done.stdout
    assert all(line.startswith("✗ ") for line in area_lines), done.stdout


def test_smoke_without_a_gateway_says_how_to_run() -> None:
    done = run_smoke(live_env("http://127.0.0.1:9"))
    assert done.returncode == 1
    assert done.stdout.startswith("✗ gateway  no gateway answers at http://127.0.0.1:9")
    assert "`make up && make integration`" in done.stdout
