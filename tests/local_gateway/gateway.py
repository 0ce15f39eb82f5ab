"""``up`` and ``down`` of one local gateway: the stack's Kong nodes, Postgres (DB mode), Redis and an echo
backend per upstream target host, as local processes (what runs where: layout.py; what each Kong node gets:
node.py). Its description, ``gateway.json`` in its folder, has the shape of the stack's outputs
(``proxyUrls``, ``adminUrl``, ``consumerKeys``...) plus a ``local`` part for ``down`` and the tests' faults.

Order, as the Docker platform's: Redis, echo backends, Postgres and migrations (DB mode), then node 1, 2...
each ready (``/status/ready``) before the next; in DB mode the entities are then written through node 1's
Admin API the way pulumi-kong writes them (entities.py). A failure at any step stops what was started.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import string
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gateway.kong import declarative, vault
from gateway.platform import kongconf, naming
from gateway.platform.docker.backends import demo_backends
from gateway.platform.tls import SelfSigned
from gateway.spec import GatewaySpec, load_spec
from gateway.stack.secrets import GENERATED_LENGTH
from gateway.stack.settings import StackSettings, read_stack_settings
from local_gateway import node, services
from local_gateway.kong_install import KongInstall
from local_gateway.layout import LIVE_DIR, NETWORK_FILE, ROOT, Layout, allocate
from local_gateway.processes import (
    Proc,
    StartError,
    accepts,
    alive,
    free_ports,
    holding,
    kill_all,
    port_free,
    spawn,
    stop,
    wait_until,
)

Mode = Literal["db", "dbless"]
ECHO = Path(__file__).resolve().parent / "echo.py"
PROCESS_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
"""All that Postgres, Redis and the echo backends need (no secret: those are in their config files)."""


def generated_secret() -> str:
    """As pulumi-random makes them here (gateway/stack/secrets.py: letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(GENERATED_LENGTH))


@dataclass(frozen=True)
class BackendProcess:
    host: str
    address: str
    port: int
    hostname: str
    role: str


@dataclass
class State:
    """What ``gateway.json`` holds."""

    stack: str
    mode: Mode
    layout: Layout
    kong_home: str
    settings: StackSettings = field(repr=False)
    spec: GatewaySpec = field(repr=False)
    secret_values: dict[str, str] = field(repr=False, default_factory=dict)
    procs: list[Proc] = field(default_factory=list)
    backends: list[BackendProcess] = field(default_factory=list)
    nodes: list[node.NodePorts] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    """Each node's ``KONG_PREFIX``: a short folder of its own outside the checkout (nginx's unix sockets live
    there, and a socket path may not exceed 107 bytes)."""
    postgres: services.Postgres | None = None

    def outputs(self) -> dict[str, Any]:
        """The stack outputs a deployed stack would have (``__main__.py``'s exports)."""
        loop = naming.LOOPBACK
        return {
            "mode": self.mode,
            "platform": "local",
            "proxyUrls": [f"http://{loop}:{n.proxy}" for n in self.nodes],
            "proxyTlsUrls": [f"https://{loop}:{n.proxy_tls}" for n in self.nodes],
            "adminUrl": f"http://{loop}:{self.nodes[0].admin}" if self.nodes else None,
            "metricsUrls": [f"http://{loop}:{n.status}/metrics" for n in self.nodes],
            "consumerKeys": {c: self.secret_values[s] for c, s in self.spec.consumer_key_secrets().items()},
            "consumerJwtSecrets": {c: self.secret_values[s] for c, s in self.spec.consumer_jwt_secrets().items()},
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.outputs(), "stack": self.stack, "local": {
            "root": str(self.layout.root),
            "network": self.layout.network,
            "kongHome": self.kong_home,
            "processes": [p.to_json() for p in self.procs],
            "backends": [vars(b) for b in self.backends],
            "nodes": [{"index": i, "prefix": prefix, "ports": vars(n)}
                      for i, (n, prefix) in enumerate(zip(self.nodes, self.prefixes, strict=False), start=1)],
            "errorLogs": error_logs(self.layout, self.prefixes),
            "postgres": None if self.postgres is None else {"dataDir": self.postgres.data_dir,
                                                            "user": self.postgres.user},
        }}

    def save(self) -> None:
        write_state(self.layout.state_file, self.to_json())


def error_logs(layout: Layout, prefixes: list[str]) -> list[str]:
    """Where each Kong node writes its errors: nginx's stderr (``KONG_*_ERROR_LOG=/dev/stderr``, our log file)
    and Kong's own ``logs/error.log`` in its prefix."""
    out = []
    for index, prefix in enumerate(prefixes, start=1):
        out += [str(layout.log(naming.kong_role(index))), str(Path(prefix) / "logs" / "error.log")]
    return out


def secret_values(spec: GatewaySpec, mode: Mode) -> dict[str, str]:
    return {name: generated_secret() for name in sorted(spec.secret_names() | naming.platform_secret_names(mode))}


def load(stack: str, mode: Mode) -> tuple[StackSettings, GatewaySpec]:
    """The stack's settings (``Pulumi.<stack>.yaml``) and spec for ``mode``; a self-signed certificate
    stands in for the one an operator sets on staging and prod."""
    settings = read_stack_settings(ROOT, stack).model_copy(update={"mode": mode})
    return settings, load_spec(ROOT / "stacks", stack, mode)


def up(stack: str, mode: Mode, install: KongInstall, *, name: str | None = None, live_dir: Path = LIVE_DIR,
       entities: bool = True, kong_settings: Mapping[str, str] | None = None,
       progress: Callable[[str], None] = lambda _: None) -> State:
    """Start the gateway; on any failure stop what was started and raise. ``kong_settings``: ``KONG_*`` a
    test adds to every node (e.g. ``KONG_ALLOW_DEBUG_HEADER``); ``entities=False``: DB mode without them."""
    settings, spec = load(stack, mode)
    if settings.platform != "docker":
        raise StartError(f"stack {stack} runs on {settings.platform}; the local gateway mirrors the Docker platform")
    layout = allocate(name or f"{stack}-{mode}-{os.getpid()}", live_dir)
    state = State(stack, mode, layout, str(install.home), settings, spec, secret_values(spec, mode))
    try:
        _start(state, install, entities, dict(kong_settings or {}), progress)
    except BaseException:
        down(state.layout.root)
        raise
    return state


def _start(state: State, install: KongInstall, entities: bool, kong_settings: dict[str, str],
           progress: Callable[[str], None]) -> None:
    layout, spec, values = state.layout, state.spec, state.secret_values
    backends = demo_backends(spec)
    state.backends = [BackendProcess(b.host, layout.backend_address(i), b.port, b.hostname, b.role)
                      for i, b in enumerate(backends)]
    lines = [f"{layout.postgres_address} {naming.POSTGRES_ALIAS}", f"{layout.redis_address} {naming.REDIS_ALIAS}"]
    lines += [f"{b.address} {b.host}" for b in state.backends]
    layout.hosts_file.write_text("\n".join(lines) + "\n")
    state.save()

    progress(f"redis on {layout.redis_address}:{naming.REDIS_PORT}")
    state.procs.append(services.start_redis(layout, values[naming.REDIS_PASSWORD]))
    state.save()
    progress(f"{len(state.backends)} echo backends on {layout.address(0)}/24")
    for backend in state.backends:
        if not port_free(backend.address, backend.port):
            raise StartError(f"{backend.address}:{backend.port} ({backend.host}) is taken: another process listens "
                             f"on port {backend.port} of every address")
        state.procs.append(spawn(backend.role, [sys.executable, str(ECHO), "--listen",
                                                f"{backend.address}:{backend.port}", "--hostname", backend.hostname],
                                 env=PROCESS_ENV, log=layout.log(backend.role)))
    state.save()
    for backend, proc in zip(state.backends, state.procs[-len(state.backends):], strict=True):
        wait_until(f"{backend.role} on {backend.address}:{backend.port}",
                   functools.partial(accepts, backend.address, backend.port), proc, timeout=30)

    if state.mode == "db":
        progress(f"postgres on {layout.postgres_address}:{naming.POSTGRES_PORT}, migrations")
        state.postgres = services.start_postgres(layout, values[naming.POSTGRES_PASSWORD])
        state.procs.append(state.postgres.proc)
        state.save()
        node.migrate(install, layout, values[naming.POSTGRES_PASSWORD], kongconf.MIGRATIONS_UP_COMMAND)

    wanted = SelfSigned(tuple(state.settings.tls_hostnames))
    certificate = (layout.root / "proxy.crt", layout.root / "proxy.key")
    node.write_certificate(*certificate, wanted)
    declarative_text = None
    if state.mode == "dbless":
        declarative_text = declarative.to_yaml(declarative.render(spec, state.stack, values.__getitem__))
    node_secrets = {vault.env_var(n): values[n] for n in vault.plugin_secret_names(spec)}
    if state.mode == "db":
        node_secrets["KONG_PG_PASSWORD"] = values[naming.POSTGRES_PASSWORD]
    for index in range(1, state.settings.docker.kong_nodes + 1):
        ports = node.NodePorts(*free_ports(naming.LOOPBACK, 6))
        role = naming.kong_role(index)
        progress(f"{role} ({state.mode}) proxy http://{naming.LOOPBACK}:{ports.proxy}")
        conf = node.node_conf(state.settings, index, spec.edge, ports, layout.node_dir(index))
        node.write_files(conf, certificate=certificate, declarative=declarative_text)
        prefix = Path(tempfile.mkdtemp(prefix="ai4v-kong-"))
        state.prefixes.append(str(prefix))
        state.save()
        env = {**node.node_env(install, conf, layout, prefix, node_secrets), **kong_settings}
        proc = node.start(install, env, prefix, role, layout)
        state.procs.append(proc)
        state.nodes.append(ports)
        state.save()
        node.wait_ready(proc, ports.status)
    if state.mode == "db":
        node.migrate(install, layout, values[naming.POSTGRES_PASSWORD], kongconf.MIGRATIONS_FINISH_COMMAND)

    if state.mode == "db" and entities:
        from local_gateway.entities import apply_spec

        progress("entities through the Admin API, as pulumi-kong writes them")
        apply_spec(state)
    state.save()


def write_state(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all (readers poll it while a gateway starts), mode 0600 (it holds the test keys)."""
    partial = path.with_suffix(".partial")
    partial.touch(mode=0o600)
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


def read_state(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "gateway.json").read_text())
    return data


def down(root: Path) -> list[str]:
    """Stop every process of the gateway in ``root`` (Kong nodes first) and remove its files; what was
    stopped, by role."""
    stopped: list[str] = []
    try:
        data = read_state(root)
    except (OSError, ValueError):
        data = {}
    local = data.get("local", {})
    procs = [Proc.from_json(p) for p in local.get("processes", [])]
    kong_first = sorted(procs, key=lambda p: (not p.role.startswith("kong-"), p.role == "postgres"))
    for proc in kong_first:
        if alive(proc):
            stop(proc)
            stopped.append(proc.role)
    strays = holding(root)  # started by a run killed before it could record them
    kill_all(strays)
    stopped += [f"pid {pid}" for pid in strays]
    postgres = local.get("postgres")
    if postgres and postgres.get("dataDir"):
        shutil.rmtree(postgres["dataDir"], ignore_errors=True)
    for entry in local.get("nodes", []):
        shutil.rmtree(entry["prefix"], ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return stopped


def running(live_dir: Path = LIVE_DIR) -> list[Path]:
    """Every local gateway of this checkout (a folder that claimed a network), started or starting."""
    return sorted(p.parent for p in live_dir.glob(f"*/{NETWORK_FILE}"))


@contextmanager
def gateway(stack: str, mode: Mode, install: KongInstall, **kwargs: Any) -> Iterator[State]:
    """A local gateway for the duration of a ``with`` block."""
    state = up(stack, mode, install, **kwargs)
    try:
        yield state
    finally:
        down(state.layout.root)
