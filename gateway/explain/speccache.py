"""The validated spec ``explain`` answers from, kept between runs while nothing it depends on changes.

Validating a stack means building every spec model's validator (``gateway.lazymodels``): most of an
``explain`` run. A request explained against unchanged files needs none of it, so the spec is pickled
under a key of everything that could change it: the bytes of ``stacks/base.yaml``, ``stacks/<stack>.yaml``
and ``Pulumi.<stack>.yaml`` (the mode), the bytes of every source file of the ``gateway`` package, and the
Python and pydantic versions. Any change misses and rewrites the entry; an unreadable, corrupt or foreign
file is ignored; a spec with problems is never stored (its problems are reported on every run).

The files live in ``$XDG_CACHE_HOME/ai4v-gateway`` (default ``~/.cache/ai4v-gateway``), one per project
directory and stack, readable by the user only; deleting them is always safe. A spec names secrets, it
never holds their values (gateway.refs).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pydantic

from gateway.spec.models import GatewaySpec
from gateway.usercache import cache_dir

PACKAGE = Path(__file__).resolve().parent.parent
FORMAT = b"ai4v-gateway explain spec 1\n"


def cached_spec(root: Path, stack: str, load: Callable[[], GatewaySpec]) -> GatewaySpec:
    """The spec ``load`` returns for ``stack`` of the project at ``root``, from the cache when its inputs and
    the code are unchanged. ``load``'s errors pass through and nothing is stored."""
    try:
        key = input_key(root, stack)
    except OSError:  # an input we cannot read: let load() report it
        return load()
    name = hashlib.sha256(f"{root.resolve()}\0{stack}".encode()).hexdigest()[:32]
    path = cache_dir() / f"{name}.pickle"
    spec = _read(path, key)
    if spec is None:
        spec = load()
        _write(path, key, spec)
    return spec


def input_key(root: Path, stack: str) -> bytes:
    """A digest of everything the loaded spec depends on (see the module docstring)."""
    digest = hashlib.sha256(FORMAT)
    digest.update(f"{sys.version}\0{pydantic.VERSION}\0{stack}\0".encode())
    inputs = [root / "stacks" / "base.yaml", root / "stacks" / f"{stack}.yaml", root / f"Pulumi.{stack}.yaml"]
    for path in [*inputs, *sorted(PACKAGE.rglob("*.py"))]:
        digest.update(f"{path}\0".encode())
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            digest.update(b"absent\0")
            continue
        digest.update(f"{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest().encode() + b"\n"


def _read(path: Path, key: bytes) -> GatewaySpec | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(FORMAT + key):
        return None
    try:
        spec = pickle.loads(data[len(FORMAT) + len(key):])  # our own file, under our key
    except Exception:  # a damaged entry is a miss, whatever unpickling raised
        return None
    return spec if isinstance(spec, GatewaySpec) else None


def _write(path: Path, key: bytes, spec: GatewaySpec) -> None:
    """Atomic (a reader sees the old entry or the new one); a cache that cannot be written is skipped."""
    try:
        payload = FORMAT + key + pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except (OSError, pickle.PicklingError):
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
