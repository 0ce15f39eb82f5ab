"""The language-router decision from the plugin itself: its handler.lua run under LuaJIT.

One ``luajit`` process (``lua_runner.lua`` beside this file) serves every request of a run, so ``diff``
over a thousand requests pays the start-up once. Nothing here re-implements the plugin's logic.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypedDict

RUNNER = Path(__file__).with_name("lua_runner.lua")
SPECS = Path(__file__).resolve().parents[2] / "lua" / "spec"
"""Where the PDK fake lives (``helpers/pdk_fake.lua``): the one busted's specs run the plugin on."""


class LuaError(RuntimeError):
    """LuaJIT is missing or the runner died: the language decision cannot be known."""


class LuaCall(TypedDict):
    conf: str
    upstreams: list[str]
    method: str
    path: str
    headers: dict[str, list[str]]
    query: dict[str, list[str]]
    body: str | None


@dataclass(frozen=True)
class LanguageDecision:
    """What the plugin did: ``kong.ctx.shared.language_router`` plus its effects on the request."""

    language: str | None
    source: str | None
    confidence: float | None
    upstream: str | None
    """The upstream the plugin switched to (None: it kept the service's)."""
    service_id: str | None
    body_rewritten: bool
    set_headers: dict[str, str]
    cleared: tuple[str, ...]
    raw_body: str | None
    logs: tuple[str, ...]
    error: str | None = None
    script: str | None = None
    """The script (ISO 15924, e.g. ``Latn``) the plugin found with the language, if any."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LanguageDecision:
        shared = data.get("shared") or {}
        if not isinstance(shared, dict):
            shared = {}
        headers = data.get("set_headers") or {}
        return cls(
            language=shared.get("language"),
            source=shared.get("source"),
            confidence=shared.get("confidence"),
            upstream=data.get("upstream"),
            service_id=shared.get("service_id"),
            body_rewritten=bool(shared.get("body_rewritten")),
            set_headers={str(k): v if isinstance(v, str) else ", ".join(map(str, v))
                         for k, v in headers.items()} if isinstance(headers, dict) else {},
            cleared=tuple(data.get("cleared") or ()),
            raw_body=data.get("raw_body"),
            logs=tuple(data.get("logs") or ()),
            error=data.get("error"),
            script=shared.get("script"),
        )


def compiled_chunks(lua_root: Path, luajit: str) -> list[str]:
    """``module=key=file`` for each Lua module under ``lua_root/kong``: where lua_runner.lua keeps its
    bytecode (one file per source) and the key it must carry, from the source's path, size and mtime and the
    LuaJIT binary's (as Python keys its .pyc), so an edited plugin or another LuaJIT never meets old
    bytecode. [] if there is no cache directory."""
    folder = cache_dir() / "lua"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        exe = os.stat(luajit)
        sources = [(path.resolve(), path.stat()) for path in sorted((lua_root / "kong").rglob("*.lua"))]
    except OSError:
        return []
    chunks = []
    for path, stat in sources:
        parts = path.relative_to(lua_root.resolve()).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "init" else parts)
        key = f"{stat.st_size}\0{stat.st_mtime_ns}\0{luajit}\0{exe.st_size}\0{exe.st_mtime_ns}"
        file = folder / f"{hashlib.sha256(str(path).encode()).hexdigest()[:32]}.bc"
        chunks.append(f"{module}={hashlib.sha256(key.encode()).hexdigest()[:32]}={file}")
    return chunks


def cache_dir() -> Path:
    """Where the compiled Lua is kept: ``$XDG_CACHE_HOME/ai4v-gateway`` (default ``~/.cache/ai4v-gateway``); a
    relative XDG_CACHE_HOME is ignored, as the XDG Base Directory spec says. Deleting it is always safe.

    Kept because it pays: LuaJIT parses the plugin's ~5 MB of language data in ~0.1 s and loads its bytecode
    in a quarter of that, ~55 ms of a ~450 ms ``explain`` run that reaches the language-router (measured)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "ai4v-gateway"


class LuaRunner:
    """A long-lived ``luajit lua_runner.lua`` process, started by the first ``run``: most requests explained
    meet no language-router and never pay for LuaJIT loading the plugin. Use as a context manager."""

    def __init__(self, lua_root: Path, luajit: str = "luajit") -> None:
        exe = shutil.which(luajit)
        if exe is None:
            raise LuaError("luajit is not installed (make lua-deps installs it); the language decision needs it")
        self._exe, self._lua_root = exe, lua_root
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> LuaRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait(timeout=10)
            if self._proc.stdout:
                self._proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()

    def _started(self) -> subprocess.Popen[str]:
        if self._proc is None:
            # a file, not a pipe: a chatty plugin cannot block; closed in close()
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
            self._proc = subprocess.Popen(
                [self._exe, str(RUNNER), str(self._lua_root), str(SPECS), *compiled_chunks(self._lua_root, self._exe)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                text=True, encoding="utf-8", bufsize=1,
            )
        return self._proc

    def run(self, calls: Sequence[LuaCall]) -> list[LanguageDecision]:
        """One decision per call, in order; the input is written from a thread so large batches cannot
        fill both pipes."""
        proc = self._started()
        assert proc.stdin is not None and proc.stdout is not None and self._stderr is not None
        stdin, stdout = proc.stdin, proc.stdout
        lines = [json.dumps(call, ensure_ascii=False) + "\n" for call in calls]

        def feed() -> None:
            try:
                for line in lines:
                    stdin.write(line)
                stdin.flush()
            except BrokenPipeError:
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = []
        for _ in lines:
            answer = stdout.readline()
            if not answer:
                stderr = self._stderr
                stderr.seek(0)
                err = stderr.read().decode("utf-8", errors="replace")
                raise LuaError(f"luajit stopped: {err.strip()[:300] or 'no output'}")
            out.append(LanguageDecision.from_json(json.loads(answer)))
        writer.join()
        return out

