"""Connection settings of a deployed gateway, found the way an operator would, and the switches of the suite.

Every value comes from an environment variable when set (``ENV_*`` below); whatever is still missing
comes from ``pulumi stack output --json --show-secrets`` of the stack ``STACK`` (default ``dev``), run
with the backend settings ``make up`` uses (scripts/up.sh: ``PULUMI_BACKEND_URL`` is the local
``.pulumi-state/`` of the repo, its ``passphrase`` file unless a passphrase is set). Nothing here prints
a secret: reasons name variables and outputs, never their values.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from gateway.stack.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]
HOW_TO_RUN = "run `make up && make integration`"

ENV_OPT_IN = "AI4V_INTEGRATION"
"""``make integration`` and ``make smoke`` set it; without it (``make test``) every live test is skipped."""
ENV_SLOW = "AI4V_ITEST_SLOW"
"""Opt-in for tests that wait for a rate-limit window or flood the proxy (minutes, and the client's
address is throttled for a while afterwards)."""
ENV_DESTRUCTIVE = "AI4V_ITEST_DESTRUCTIVE"
"""Opt-in for tests that stop demo backend containers (`docker stop`) and start them again."""
ENV_STACK = "STACK"
ENV_PROXY = "KONG_PROXY_URL"
"""The proxy of node 1, or every node's proxy, comma-separated in node order."""
ENV_ADMIN = "KONG_ADMIN_URL"
ENV_KEY = "AI4V_KEY"
ENV_DEVELOPER_KEY = "AI4V_DEVELOPER_KEY"
ENV_ASR_ONLY_KEY = "AI4V_ASR_ONLY_KEY"
ENV_JWT_SECRET = "AI4V_JWT_SECRET"
ENV_DEMO_BACKENDS = "AI4V_DEMO_BACKENDS"
"""1/0: whether the targets are the demo echo backends (default: the stack's ``demoBackends`` setting)."""
ENV_TLS_VERIFY = "KONG_TLS_VERIFY"
"""0 accepts the proxy's self-signed certificate (dev's 8443)."""
ENV_RPS = "AI4V_ITEST_RPS"
"""Requests per second the suite allows itself (default 12), below the flood guard's 1000/min per IP."""
ENV_LIVE_GATEWAY = "AI4V_LIVE_GATEWAY"
"""The ``gateway.json`` of a local gateway (``make live-up``, tests/local_gateway): its outputs stand in
for ``pulumi stack output``, and the faults act on its processes instead of containers."""

# Which credential of the stack outputs each setting is (docs/SECURITY.md uses the same names).
KEY_OUTPUTS = {ENV_KEY: "ai4voice-client/primary", ENV_DEVELOPER_KEY: "developer-client/primary",
               ENV_ASR_ONLY_KEY: "asr-only-client/primary"}
JWT_OUTPUT = "web-user/ai4v-web"
JWT_ISSUER = "ai4v-web"

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Settings:
    """What the live tests need to reach one deployed stack."""

    stack: str
    proxy_urls: tuple[str, ...]
    admin_url: str | None
    key: str = field(repr=False)
    developer_key: str = field(repr=False)
    asr_only_key: str = field(repr=False)
    jwt_secret: str = field(repr=False)
    demo_backends: bool
    verify_tls: bool
    source: str
    http_urls: tuple[str, ...] = ()
    """Every node's plain-HTTP proxy (``proxyUrls``); ``proxy_urls`` are the TLS ones on an HTTPS-only stack."""
    local_state: str | None = None
    """The local gateway's ``gateway.json``; None for a deployed stack."""
    mode: str = "db"
    """``db`` or ``dbless``: the ``mode`` output, else the stack file's ``ai4v-gateway:mode``."""

    @property
    def proxy_url(self) -> str:
        return self.proxy_urls[0]

    def secrets(self) -> tuple[str, ...]:
        return self.key, self.developer_key, self.asr_only_key, self.jwt_secret


def pulumi_env(environ: Mapping[str, str], root: Path = ROOT) -> dict[str, str]:
    """The environment ``make up`` runs pulumi with (scripts/up.sh), for reading the same stack back."""
    env = dict(environ)
    state = root / ".pulumi-state"
    env["PULUMI_BACKEND_URL"] = f"file://{state}"  # scripts/up.sh sets it so, whatever the caller had
    passphrase_file = state / "passphrase"
    if not env.get("PULUMI_CONFIG_PASSPHRASE") and not env.get("PULUMI_CONFIG_PASSPHRASE_FILE") \
            and passphrase_file.is_file():
        env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(passphrase_file)
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    return env


def stack_outputs(stack: str, environ: Mapping[str, str], root: Path = ROOT,
                  run: Runner = subprocess.run) -> dict[str, object] | str:
    """The stack's outputs with secrets, or a one-line reason why they cannot be read."""
    if shutil.which("pulumi", path=environ.get("PATH")) is None:
        return "the Pulumi CLI is not installed"
    try:
        done = run(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
                   cwd=root, env=pulumi_env(environ, root), capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`pulumi stack output` failed: {exc.__class__.__name__}"
    if done.returncode != 0:
        first = next((line.strip() for line in done.stderr.splitlines() if line.strip()), "no message")
        return f"`pulumi stack output --stack {stack}` failed: {first}"
    try:
        outputs = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"`pulumi stack output --stack {stack}` did not print JSON"
    return outputs if isinstance(outputs, dict) else f"`pulumi stack output --stack {stack}` printed no object"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _stack_settings(stack: str, root: Path) -> StackSettings | None:
    from gateway.stack.settings import read_stack_settings

    try:
        return read_stack_settings(root, stack)
    except Exception:  # a broken stack file is validate's business; here it only means "not known"
        return None


def _str_list(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _secret(outputs: Mapping[str, object], output: str, entry: str) -> str | None:
    table = outputs.get(output)
    value = table.get(entry) if isinstance(table, dict) else None
    return value if isinstance(value, str) and value else None


def local_outputs(path: str) -> dict[str, object] | str:
    """The outputs of a local gateway from its ``gateway.json``, or why they cannot be read."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        return f"{ENV_LIVE_GATEWAY}={path}: {exc.__class__.__name__} (is the local gateway up? `make live-up`)"
    return data if isinstance(data, dict) else f"{ENV_LIVE_GATEWAY}={path} holds no object"


def discover(environ: Mapping[str, str], root: Path = ROOT, run: Runner = subprocess.run) -> Settings | str:
    """Settings from the environment, completed from the stack outputs (or a local gateway's); or why they
    cannot be had."""
    local = environ.get(ENV_LIVE_GATEWAY) or None
    stack = environ.get(ENV_STACK) or "dev"
    proxies = [u.strip().rstrip("/") for u in environ.get(ENV_PROXY, "").split(",") if u.strip()]
    values = {name: environ.get(name) or None for name in (*KEY_OUTPUTS, ENV_JWT_SECRET)}
    admin = environ.get(ENV_ADMIN) or None
    source = "environment"
    http_urls: list[str] = []
    mode: str | None = None
    if local is not None or not proxies or None in values.values():
        outputs = local_outputs(local) if local is not None else stack_outputs(stack, environ, root, run)
        if isinstance(outputs, str) and local is not None:
            return outputs
        if isinstance(outputs, str):
            unset = [ENV_PROXY] * (not proxies) + [name for name, v in values.items() if v is None]
            return (f"no gateway settings: {', '.join(unset)} not set and {outputs}; {HOW_TO_RUN} "
                    f"(or set {', '.join(unset)})")
        source = f"local gateway {local}" if local is not None else f"pulumi stack output --stack {stack}"
        if local is not None:
            stack = str(outputs.get("stack") or stack)
        http_urls = [u.rstrip("/") for u in _str_list(outputs.get("proxyUrls"))]
        found_mode = outputs.get("mode")
        mode = found_mode if isinstance(found_mode, str) else None
        if not proxies:
            https_only = _https_only(stack, root)
            proxies = [u.rstrip("/") for u in _str_list(outputs.get("proxyTlsUrls" if https_only else "proxyUrls"))]
        for name, entry in KEY_OUTPUTS.items():
            values[name] = values[name] or _secret(outputs, "consumerKeys", entry)
        values[ENV_JWT_SECRET] = values[ENV_JWT_SECRET] or _secret(outputs, "consumerJwtSecrets", JWT_OUTPUT)
        admin_output = outputs.get("adminUrl")
        admin = admin or (admin_output if isinstance(admin_output, str) and admin_output else None)
    missing = [ENV_PROXY] * (not proxies) + [name for name, v in values.items() if v is None]
    if missing:
        return f"no gateway settings: {', '.join(missing)} found neither in the environment nor in {source}; {HOW_TO_RUN}"
    stack_settings = _stack_settings(stack, root)
    return Settings(
        stack=stack,
        proxy_urls=tuple(proxies),
        admin_url=admin.rstrip("/") if admin else None,
        key=str(values[ENV_KEY]),
        developer_key=str(values[ENV_DEVELOPER_KEY]),
        asr_only_key=str(values[ENV_ASR_ONLY_KEY]),
        jwt_secret=str(values[ENV_JWT_SECRET]),
        # The local gateway runs an echo backend for every target host, whatever the stack deploys.
        demo_backends=_flag(environ.get(ENV_DEMO_BACKENDS), local is not None or bool(
            stack_settings and stack_settings.docker.demo_backends)),
        verify_tls=_flag(environ.get(ENV_TLS_VERIFY), local is None),
        source=source,
        http_urls=tuple(http_urls) or tuple(u.replace("https://", "http://") for u in proxies),
        local_state=local,
        mode=mode or (stack_settings.mode if stack_settings else "db"),
    )


def _https_only(stack: str, root: Path) -> bool:
    from gateway.spec import load_spec

    try:
        return load_spec(root / "stacks", stack).edge.https_only is not None
    except Exception:  # an unknown stack: its proxy URLs as published
        return False


def unreachable(settings: Settings, timeout: float = 3.0) -> str | None:
    """None when every node's proxy answers HTTP (any status); else the reason, with how to run."""
    for url in settings.proxy_urls:
        try:
            httpx.get(f"{url}/", timeout=timeout, verify=settings.verify_tls)
        except httpx.HTTPError as exc:
            return (f"no gateway answers at {url} (settings from {settings.source}): "
                    f"{exc.__class__.__name__}; {HOW_TO_RUN}")
    return None


def availability(environ: Mapping[str, str], root: Path = ROOT, run: Runner = subprocess.run) -> Settings | str:
    """The settings of a reachable gateway, or the skip reason every live test gets."""
    if not _flag(environ.get(ENV_OPT_IN), False):
        return f"live integration test, needs a deployed gateway: {HOW_TO_RUN} (or `make smoke`)"
    found = discover(environ, root, run)
    if isinstance(found, str):
        return found
    return unreachable(found) or found


class Pacer:
    """A token bucket that keeps the suite under the flood guard (nginx limit_req, per client address)."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
            self.stamp = now
            self.tokens -= 1
            delay = -self.tokens / self.per_second if self.tokens < 0 else 0.0
        if delay:
            time.sleep(delay)


def pacer_from(environ: Mapping[str, str]) -> Pacer:
    try:
        rate = float(environ.get(ENV_RPS, "12"))
    except ValueError:
        rate = 12.0
    return Pacer(max(rate, 0.1), burst=100)


def docker_unavailable(run: Runner = subprocess.run) -> str | None:
    """None when the docker CLI reaches an engine; else why the log/stop checks are skipped."""
    if shutil.which("docker") is None:
        return "needs the docker CLI on the Docker host of the stack (not installed here)"
    try:
        done = run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "needs a Docker engine that answers `docker info`"
    return None if done.returncode == 0 else "needs a Docker engine that answers `docker info`"


def docker(args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def hs256_token(secret: str, claims: Mapping[str, object]) -> str:
    """An HS256 JWT (what the auth service signs for the web front end), as docs/SECURITY.md's ``jwt``."""
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(dict(claims)).encode())
    return head + "." + b64(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())
