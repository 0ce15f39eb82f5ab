"""The validated spec ``explain`` answers from, kept between runs while nothing it depends on changes.

Validating a stack means building every spec model's validator (``gateway.lazymodels``): most of an
``explain`` run. A request explained against unchanged files needs none of it, so the spec is pickled
under a key of everything that could change it: the bytes of ``stacks/base.yaml``, ``stacks/<stack>.yaml``
and ``Pulumi.<stack>.yaml`` (the mode), the bytes of every source file of the ``gateway`` package, and the
Python and pydantic versions. Any change misses and rewrites the entry; an unreadable, corrupt or foreign
file is ignored; a spec with problems is never stored (its problems are reported on every run).

Beside the key, an entry says whether the spec has an enabled plugin that ``explain`` runs under LuaJIT
(``language_hint``, read before any model is imported), so the command can start LuaJIT first and let it
load the plugin on another core while Python imports; and it holds that plugin's config as the JSON the
plugin gets (``Cached.lua_confs``), which would otherwise build the config model's serializer in every run.

The files live in ``$XDG_CACHE_HOME/ai4v-gateway`` (default ``~/.cache/ai4v-gateway``), one per project
directory and stack, readable by the user only; deleting them is always safe. A spec names secrets, it
never holds their values (gateway.refs).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.usercache import cache_dir

if TYPE_CHECKING:
    from gateway.spec.models import GatewaySpec

# pydantic, pickle and the spec models are imported once the entry is read: language_hint runs first.

PACKAGE = Path(__file__).resolve().parent.parent
FORMAT = b"ai4v-gateway explain spec 2\n"
LUA = b"luajit"
"""The hint line of a spec with an enabled plugin that explain runs under LuaJIT (otherwise ``-``)."""


@dataclass(frozen=True)
class Cached:
    spec: GatewaySpec
    lua_confs: dict[str, str]
    """Spec path of each enabled plugin instance run under LuaJIT -> its config as the JSON the plugin gets
    (gateway.explain.decisions.lua_confs)."""


def cached(root: Path, stack: str, load: Callable[[], GatewaySpec]) -> Cached:
    """The spec ``load`` returns for ``stack`` of the project at ``root``, and what explaining it needs beside
    it, from the cache when its inputs and the code are unchanged. ``load``'s errors pass through and nothing
    is stored."""
    try:
        key = input_key(root, stack)
    except OSError:  # an input we cannot read: let load() report it
        return _prepared(load())
    path = entry_path(root, stack)
    entry = _read(path, key)
    if entry is None:
        entry = _prepared(load())
        _write(path, key, entry)
    return entry


def entry_path(root: Path, stack: str) -> Path:
    name = hashlib.sha256(f"{root.resolve()}\0{stack}".encode()).hexdigest()[:32]
    return cache_dir() / f"{name}.pickle"


def language_hint(root: Path, stack: str) -> bool:
    """Whether the last spec cached for this stack had a plugin run under LuaJIT, from the line after the
    entry's key, the key not checked: a hint for starting LuaJIT early, never for an answer. A missing or
    damaged entry says no (LuaJIT then starts on the first language decision); a stale one costs time at
    worst, never a different answer."""
    try:
        with entry_path(root, stack).open("rb") as file:
            head = file.read(len(FORMAT) + 80)
    except OSError:
        return False
    lines = head[len(FORMAT):].split(b"\n")
    return head.startswith(FORMAT) and len(lines) > 2 and lines[1] == LUA


def _prepared(spec: GatewaySpec) -> Cached:
    from gateway.explain.decisions import lua_confs

    return Cached(spec, lua_confs(spec))


def input_key(root: Path, stack: str) -> bytes:
    """A digest of everything the loaded spec depends on (see the module docstring)."""
    import pydantic

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


def _read(path: Path, key: bytes) -> Cached | None:
    import pickle

    from gateway.spec.models import GatewaySpec

    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(FORMAT + key):
        return None
    hint, newline, payload = data[len(FORMAT) + len(key):].partition(b"\n")
    if not newline:
        return None
    try:
        entry = pickle.loads(payload)  # our own file, under our key
    except Exception:  # a damaged entry is a miss, whatever unpickling raised
        return None
    if not isinstance(entry, Cached) or not isinstance(entry.spec, GatewaySpec):
        return None
    return entry if (hint == LUA) == bool(entry.lua_confs) else None


def _write(path: Path, key: bytes, entry: Cached) -> None:
    """Atomic (a reader sees the old entry or the new one); a cache that cannot be written is skipped."""
    import pickle
    import tempfile

    try:
        hint = LUA if entry.lua_confs else b"-"
        payload = FORMAT + key + hint + b"\n" + pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
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
