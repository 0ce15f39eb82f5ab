"""The Docker platform of the gateway: ``KongPlatform`` (network, Postgres, Redis, migrations, Kong nodes,
TLS, demo backends). The pure parts (``naming``, ``kongconf``, ``backends.demo_backends``) import
without Pulumi resources being created; ``KongPlatform`` is imported lazily so the CLI stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.platform.component import KongPlatform, KongPlatformArgs

__all__ = ["KongPlatform", "KongPlatformArgs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gateway.platform import component

        return getattr(component, name)
    raise AttributeError(name)
