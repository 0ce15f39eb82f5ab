"""Where one local gateway lives: its folder under ``build/live/``, its loopback network and its ports.

Every process listens on loopback only. Each gateway takes a network ``127.77.N.0/24`` of its own (Linux
routes all of ``127.0.0.0/8`` to the loopback interface), so Postgres, Redis and the echo backends can
keep the addresses and ports of the stack (``redis:6379`` in the rate-limiting config, ``nmt-service:8089``
as an upstream target) while another gateway, or a system Redis on ``127.0.0.1:6379``, runs beside it. Kong
resolves those names through a hosts file of the gateway (``KONG_DNS_HOSTSFILE``), so the rendered config
is exactly the one the Docker platform ships. Kong's own listeners take free ports on ``127.0.0.1``.
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass
from pathlib import Path

from gateway.platform import naming
from local_gateway.processes import port_free

ROOT = Path(__file__).resolve().parents[2]
LIVE_DIR = ROOT / "build" / "live"
NETWORK_PREFIX = "127.77"
BACKEND_FIRST_HOST = 10
STATE_FILE = "gateway.json"
NETWORK_FILE = "network"


@dataclass(frozen=True)
class Layout:
    root: Path
    network: int
    """N of ``127.77.N.0/24``."""

    def address(self, host: int) -> str:
        return f"{NETWORK_PREFIX}.{self.network}.{host}"

    @property
    def postgres_address(self) -> str:
        return self.address(1)

    @property
    def redis_address(self) -> str:
        return self.address(2)

    def backend_address(self, index: int) -> str:
        return self.address(BACKEND_FIRST_HOST + index)

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, role: str) -> Path:
        """What the process of ``role`` writes (stdout and stderr)."""
        return self.logs / f"{role}.log"

    @property
    def hosts_file(self) -> Path:
        return self.root / "hosts"

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE

    def node_dir(self, index: int) -> Path:
        return self.root / naming.kong_role(index)


def used_networks(live_dir: Path = LIVE_DIR) -> set[int]:
    used = set()
    for claim in live_dir.glob(f"*/{NETWORK_FILE}"):
        try:
            used.add(int(claim.read_text()))
        except (OSError, ValueError):
            continue
    return used


def allocate(name: str, live_dir: Path = LIVE_DIR) -> Layout:
    """A fresh folder ``live_dir/name`` and a network no other gateway of this checkout holds and whose
    Postgres and Redis addresses nothing listens on. The choice is made under a lock and claimed in the
    folder (``network``), so gateways started at the same moment never share a network."""
    root = live_dir / name
    live_dir.mkdir(parents=True, exist_ok=True)
    with (live_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root.exists():
            raise FileExistsError(f"{root} exists: a local gateway is up there (`make live-down` stops it)")
        taken = used_networks(live_dir)
        for network in range(1, 255):
            layout = Layout(root, network)
            if network not in taken and port_free(layout.postgres_address, naming.POSTGRES_PORT) and \
                    port_free(layout.redis_address, naming.REDIS_PORT):
                layout.logs.mkdir(parents=True)
                (root / NETWORK_FILE).write_text(f"{network}\n")
                return layout
    raise RuntimeError(f"no free network {NETWORK_PREFIX}.N.0/24 left for a local gateway")
