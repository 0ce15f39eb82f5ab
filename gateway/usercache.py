"""Where ``explain`` keeps what it can reuse between runs: the validated spec (gateway/explain/speccache.py)
and the language-router's compiled Lua (gateway/explain/lua_runner.py). Deleting it is always safe."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ai4v-gateway`` (default ``~/.cache/ai4v-gateway``); a relative XDG_CACHE_HOME is
    ignored, as the XDG Base Directory spec says."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "ai4v-gateway"
