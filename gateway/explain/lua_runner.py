"""The language-router decision from the plugin itself: its handler.lua run under LuaJIT.

One ``luajit`` process (``lua_runner.lua`` beside this file) serves every request of a run, so ``diff``
over a thousand requests pays the start-up once. Nothing here re-implements the plugin's logic.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypedDict

from gateway.usercache import cache_dir

if TYPE_CHECKING:
    import subprocess

# subprocess, tempfile, threading and hashlib are imported when LuaJIT starts: a run that never meets a
# language-router does not pay for them (issue 12: explain < 300 ms per run).

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
    import hashlib

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


class LuaRunner:
    """A long-lived ``luajit lua_runner.lua`` process, started by the first ``run``: most requests explained
    meet no language-router and never pay for LuaJIT loading the plugin. ``start`` starts it ahead, so
    LuaJIT loads the plugin on another core while Python imports; a process started but never asked is
    killed by ``close``. Use as a context manager."""

    def __init__(self, lua_root: Path, luajit: str = "luajit") -> None:
        exe = shutil.which(luajit)
        if exe is None:
            raise LuaError("luajit is not installed (make lua-deps installs it); the language decision needs it")
        self._exe, self._lua_root = exe, lua_root
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._asked = False

    def __enter__(self) -> LuaRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            if not self._asked:  # started ahead for a request that never reached the plugin
                self._proc.kill()
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait(timeout=10)
            if self._proc.stdout:
                self._proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()

    def start(self) -> None:
        """Start LuaJIT now (it loads the plugin while the caller goes on); ``run`` would start it anyway."""
        self._started()

    def _started(self) -> subprocess.Popen[str]:
        if self._proc is None:
            import subprocess
            import tempfile

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
        import threading

        proc = self._started()
        self._asked = True
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
