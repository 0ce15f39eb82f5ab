"""Postgres and Redis of the local gateway, from Debian's packages, as the Docker platform runs them: the
same user, database and password for Kong (gateway/platform/docker/database.py), the same ``redis.conf``
(gateway/platform/files.py ``redis_conf``), at the addresses the stack's names resolve to (layout.py)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gateway.platform import naming
from gateway.platform.files import redis_conf
from local_gateway.layout import Layout
from local_gateway.processes import Proc, StartError, accepts, spawn, wait_until

DEBIAN_PACKAGES = "postgresql redis-server"
PG_USER_WHEN_ROOT = "postgres"
"""initdb and postgres refuse to run as root; Debian's package creates this user."""


def _missing(what: str) -> StartError:
    return StartError(f"{what} not found: install Debian's {DEBIAN_PACKAGES} (`make live` does, as root)")


def postgres_bin() -> Path:
    """The folder of ``initdb``: on PATH, else the newest of Debian's ``/usr/lib/postgresql/<v>/bin``."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not versions:
        raise _missing("initdb (PostgreSQL)")
    return Path(versions[-1]).parent


def redis_server() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise _missing("redis-server")
    return found


@dataclass(frozen=True)
class Postgres:
    proc: Proc
    data_dir: str
    """Outside the checkout (its owner must be able to reach it), removed by ``down``."""
    user: str | None

    @property
    def address(self) -> str:
        return self.proc.argv[self.proc.argv.index("-h") + 1]


def _owned_by(path: Path, user: str | None) -> None:
    if user is not None:
        shutil.chown(path, user, user)


def start_postgres(layout: Layout, password: str) -> Postgres:
    """initdb (user ``kong``, scram-sha-256, as the postgres image), start on the layout's address, create
    database ``kong``."""
    bin_dir = postgres_bin()
    user = PG_USER_WHEN_ROOT if os.geteuid() == 0 else None
    data = Path(tempfile.mkdtemp(prefix="ai4v-live-pg-"))
    _owned_by(data, user)
    pwfile = data / "pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    _owned_by(pwfile, user)
    initdb = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data / "data"), "-U", naming.POSTGRES_USER, "--auth=scram-sha-256",
         f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"],
        capture_output=True, text=True, user=user, group=user, extra_groups=[] if user else None, check=False)
    pwfile.unlink()
    if initdb.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise StartError(f"initdb failed: {initdb.stderr.strip()[-500:]}")
    proc = run_postgres(layout, data, user)
    env = {**os.environ, "PGPASSWORD": password}
    created = subprocess.run([str(bin_dir / "createdb"), "-h", layout.postgres_address, "-p",
                              str(naming.POSTGRES_PORT), "-U", naming.POSTGRES_USER, naming.POSTGRES_DB],
                             env=env, capture_output=True, text=True, check=False)
    if created.returncode != 0:
        raise StartError(f"createdb {naming.POSTGRES_DB} failed: {created.stderr.strip()[-300:]}")
    return Postgres(proc, str(data), user)


def run_postgres(layout: Layout, data: Path, user: str | None) -> Proc:
    """The server on existing data, in the foreground; ready when ``pg_isready`` says so over TCP."""
    bin_dir = postgres_bin()
    argv = [str(bin_dir / "postgres"), "-D", str(data / "data"), "-h", layout.postgres_address,
            "-p", str(naming.POSTGRES_PORT), "-c", "unix_socket_directories=", "-c", "fsync=off",
            "-c", "max_connections=200"]
    # SIGINT: Postgres's fast shutdown (SIGTERM is "smart": it waits for Kong's pooled connections).
    proc = spawn("postgres", argv, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
                 log=layout.log("postgres"), user=user, stop_signal=signal.SIGINT)

    def ready() -> bool:
        return subprocess.run([str(bin_dir / "pg_isready"), "-q", "-h", layout.postgres_address, "-p",
                               str(naming.POSTGRES_PORT)], check=False).returncode == 0

    wait_until(f"Postgres on {layout.postgres_address}:{naming.POSTGRES_PORT}", ready, proc, timeout=60)
    return proc


def start_redis(layout: Layout, password: str) -> Proc:
    """``redis.conf`` as the Docker platform uploads it, plus where to listen and to keep nothing."""
    conf = layout.root / "redis.conf"
    conf.write_text(redis_conf(password) + f"bind {layout.redis_address}\nport {naming.REDIS_PORT}\n"
                    f"dir {layout.root}\ndaemonize no\n")
    conf.chmod(0o600)
    proc = spawn("redis", [redis_server(), str(conf)], env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                 log=layout.log("redis"))
    wait_until(f"Redis on {layout.redis_address}:{naming.REDIS_PORT}",
               lambda: accepts(layout.redis_address, naming.REDIS_PORT), proc, timeout=30)
    return proc
