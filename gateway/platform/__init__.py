"""The platforms Kong runs on: ``docker/`` (``KongPlatform``) and ``kubernetes/``, behind ``interface``.
What both share stays here: ``kongconf`` (Kong settings), ``naming`` (secret names, port scheme), ``tls``,
``children``. The pure parts import without Pulumi resources being created; ``KongPlatform`` (still
importable from here) is imported lazily so the CLI stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.platform.docker.component import KongPlatform, KongPlatformArgs

__all__ = ["KongPlatform", "KongPlatformArgs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gateway.platform.docker import component

        return getattr(component, name)
    raise AttributeError(name)
