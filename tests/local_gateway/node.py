"""One Kong node as a local process: what the Docker platform gives its container, produced by the same
functions (``kongconf.kong_env``, ``nginx_files``, ``custom_plugin_files``, ``admin_access_env``; the
certificate ``tls.SelfSigned`` describes), under the node's folder instead of the container's root.

What differs from the container, and why:
- listeners on loopback ports of their own (``kongconf.Listen``), files under the node's folder
  (``KongNodeConf.files_root``), ``KONG_PREFIX`` per node;
- ``KONG_DNS_HOSTSFILE``: the gateway's hosts file, where Docker has its network's DNS;
- ``KONG_PG_HOST``: Postgres's address. Kong's CLI (migrations) resolves names with its own resolver,
  which reads no hosts file;
- ``KONG_NGINX_USER=root root`` when run as root (the image runs as user ``kong``);
- ``KONG_LUA_PACKAGE_PATH``: the node's plugin folder first, then the install's Lua tree.
The node starts as the kong image's entrypoint starts it: ``kong prepare``, then nginx in the foreground
(``KONG_NGINX_DAEMON=off``), stopped with SIGQUIT (the image's stop signal).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.platform import kongconf, naming
from gateway.platform.tls import SelfSigned
from gateway.spec.models import Edge
from gateway.stack.settings import StackSettings
from local_gateway.kong_install import KongInstall
from local_gateway.layout import Layout
from local_gateway.processes import Proc, StartError, spawn, wait_until

LOOPBACK = naming.LOOPBACK
READY_TIMEOUT = 90.0


@dataclass(frozen=True)
class NodePorts:
    proxy: int
    proxy_tls: int
    admin: int
    admin_tls: int
    manager: int
    status: int

    def listen(self) -> kongconf.Listen:
        return kongconf.Listen(LOOPBACK, self.proxy, self.proxy_tls, self.admin, self.admin_tls, self.manager,
                               self.status)


def node_conf(settings: StackSettings, index: int, edge: Edge, ports: NodePorts, files_root: Path) -> \
        kongconf.KongNodeConf:
    """The Docker node's conf (``kongconf.node_conf``) at this node's ports and folder."""
    manager = f"http://{LOOPBACK}:{ports.manager}" if settings.docker.publish_admin else None
    admin = f"http://{LOOPBACK}:{ports.admin}" if settings.docker.publish_admin else None
    return dataclasses.replace(kongconf.node_conf(settings, index, edge), listen=ports.listen(),
                               files_root=str(files_root), manager_url=manager, admin_api_url=admin)


def write_certificate(cert: Path, key: Path, wanted: SelfSigned) -> None:
    """The self-signed proxy certificate pulumi-tls makes on Docker (gateway/platform/tls.py), with openssl."""
    names = [f"DNS:{h}" for h in wanted.hostnames] + [f"IP:{ip}" for ip in wanted.ip_addresses]
    uses = {"key_encipherment": "keyEncipherment", "digital_signature": "digitalSignature"}
    curve = {"P256": "prime256v1", "P384": "secp384r1"}[wanted.curve]
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", str(wanted.validity_hours // 24),
            "-subj", f"/CN={wanted.common_name}/O={wanted.organization}",
            "-addext", f"subjectAltName={','.join(names)}",
            "-addext", f"keyUsage=critical,{','.join(uses[u] for u in wanted.allowed_uses if u in uses)}"]
    if "server_auth" in wanted.allowed_uses:
        argv += ["-addext", "extendedKeyUsage=serverAuth"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StartError(f"openssl could not make the proxy certificate: {done.stderr.strip()[-300:]}")
    key.chmod(0o600)


def write_files(conf: kongconf.KongNodeConf, *, certificate: tuple[Path, Path], declarative: str | None) -> None:
    """Everything the Docker platform uploads into the node's container, at the same paths under the
    node's folder: plugin files, nginx includes, certificate and key, kong.yml (DB-less)."""
    for directory, plugin in kongconf.custom_plugin_files(lua_root=conf.path(kongconf.LUA_ROOT)).items():
        for name, source in plugin.items():
            (Path(directory) / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, Path(directory) / name)
    files = {**kongconf.nginx_files(conf), conf.path(kongconf.NGINX_ADMIN_CONF): kongconf.admin_access_conf(LOOPBACK)}
    for name, text in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)
    cert, key = Path(conf.path(kongconf.TLS_CERT_PATH)), Path(conf.path(kongconf.TLS_KEY_PATH))
    cert.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(certificate[0], cert)
    shutil.copyfile(certificate[1], key)
    key.chmod(0o600)
    if declarative is not None:
        target = Path(conf.path(kongconf.DECLARATIVE_PATH))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o600)
        target.write_text(declarative)


def node_env(install: KongInstall, conf: kongconf.KongNodeConf, layout: Layout, prefix: Path,
             secrets: Mapping[str, str]) -> dict[str, str]:
    """``KONG_*`` of the Docker node, the local differences (module docstring), and the node's secrets:
    ``KONG_PG_PASSWORD`` and the values behind the vault references."""
    env = kongconf.kong_env(conf)
    env.update(kongconf.admin_access_env(conf))
    env.update({
        "KONG_PREFIX": str(prefix),
        "KONG_NGINX_DAEMON": "off",
        "KONG_DNS_HOSTSFILE": str(layout.hosts_file),
        "KONG_LUA_PACKAGE_PATH": install.lua_package_path(conf.path(kongconf.LUA_ROOT)),
    })
    if os.geteuid() == 0:
        env["KONG_NGINX_USER"] = "root root"
    if conf.mode == "db":
        env["KONG_PG_HOST"] = layout.postgres_address
    env.update(secrets)
    return env


def prepare(install: KongInstall, env: Mapping[str, str], prefix: Path, what: str) -> None:
    done = subprocess.run([str(install.kong), "prepare", "-p", str(prefix)], env=install.command_env(os.environ, env),
                          cwd=install.lua_dir, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise StartError(f"{what}: `kong prepare` failed: {(done.stderr or done.stdout).strip()[-800:]}")


def start(install: KongInstall, env: Mapping[str, str], prefix: Path, role: str, layout: Layout) -> Proc:
    """``kong prepare``, then nginx in the foreground, as the image's entrypoint does."""
    prepare(install, env, prefix, role)
    return spawn(role, [str(install.nginx), "-p", str(prefix), "-c", "nginx.conf"],
                 env=install.command_env(os.environ, env), cwd=install.lua_dir, log=layout.log(role),
                 stop_signal=signal.SIGQUIT)


def wait_ready(proc: Proc, status_port: int, timeout: float = READY_TIMEOUT) -> None:
    """``/status/ready`` on the status listener: router and plugins built (``kong health`` only says nginx
    runs)."""
    url = f"http://{LOOPBACK}:{status_port}/status/ready"

    def ready() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(f"{proc.role} ready ({url})", ready, proc, timeout)


def migrate(install: KongInstall, layout: Layout, password: str, command: str) -> None:
    """``kongconf.MIGRATIONS_UP_COMMAND`` or ``_FINISH_COMMAND`` with the migration containers' environment (``up`` before the
    nodes, ``finish`` after the last one, as on Docker)."""
    env = {**kongconf.migration_env(), "KONG_PG_HOST": layout.postgres_address, "KONG_PG_PASSWORD": password,
           "KONG_PREFIX": str(layout.root / "migrations")}
    log = layout.log("migrations")
    with log.open("ab") as out:
        done = subprocess.run(["sh", "-c", command], env=install.command_env(os.environ, env),
                              cwd=install.lua_dir, stdout=out, stderr=subprocess.STDOUT, timeout=300, check=False)
    if done.returncode != 0:
        raise StartError(f"`{command}` exited with {done.returncode}; see {log}")
