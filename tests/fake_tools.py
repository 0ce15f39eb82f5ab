"""Fake ``pulumi``, ``docker`` and ``python3`` executables for the shell-script tests.

There is no Pulumi CLI or Docker engine on the test machine; the scripts are run with these on PATH.
Each call appends one JSON line to ``$FAKE_LOG`` (argv, the environment that matters, what it read from
stdin). The fake ``pulumi`` (tests/fake_pulumi.py) keeps stacks, config, secrets and state in a scratch
directory and refuses what the real CLI refuses; ``docker`` answers from ``FAKE_*`` variables.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_harness import ROOT

RECORDED_ENV = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "DOCKER_HOST",
                "DOCKER_CONTEXT", "PULUMI_SKIP_UPDATE_CHECK")

PULUMI = f"import runpy\nrunpy.run_path({str(Path(__file__).with_name('fake_pulumi.py'))!r}, run_name='__main__')\n"
"""The fake ``pulumi``: tests/fake_pulumi.py, which refuses what the real CLI refuses (see its docstring)."""

DOCKER = r'''
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"tool": "docker", "argv": args,
                          "env": {k: os.environ.get(k) for k in RECORDED_ENV}}) + "\n")
if args[:2] == ["context", "inspect"]:
    print(os.environ.get("FAKE_DOCKER_ENDPOINT", "unix:///var/run/docker.sock"))
elif args[:1] == ["info"]:
    sys.exit(int(os.environ.get("FAKE_DOCKER_INFO_RC", "0")))
elif args[:1] == ["ps"]:
    sys.stdout.write(os.environ.get("FAKE_DOCKER_PS", ""))
'''.replace("RECORDED_ENV", repr(RECORDED_ENV))

SANDBOX_FILES = ("Makefile", "__main__.py", "requirements.txt", "requirements-dev.txt", "pyproject.toml", ".gitignore",
                 "scripts",
                 "gateway", "stacks", "lua/kong", "docs")
"""What `make up` and scripts/pulumi.sh read (lua/kong: the plugin files the platform uploads)."""

OLD_PYTHON = r'''
import sys
if sys.argv[1:2] == ["--version"]:
    print("Python 3.9.18"); sys.exit(0)
if sys.argv[1:2] == ["-c"]:
    sys.exit(1)  # the version check: as Python 3.9 would answer it
sys.exit(0)
'''


@dataclass
class Sandbox:
    """A scratch copy of the project with fake tools on PATH."""

    root: Path
    bin: Path
    log: Path
    env: dict[str, str]

    def run(self, command: list[str], input: str | None = None, **extra_env: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **extra_env}
        return subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, timeout=120,
                              input=input if input is not None else "")

    def calls(self, tool: str = "pulumi") -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        return [line for line in lines if line["tool"] == tool]

    def argvs(self, tool: str = "pulumi") -> list[list[str]]:
        return [call["argv"] for call in self.calls(tool)]


def _executable(path: Path, body: str) -> None:
    path.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def make_sandbox(tmp_path: Path, *, tools: tuple[str, ...] = ("pulumi", "docker")) -> Sandbox:
    root = tmp_path / "repo"
    root.mkdir()
    for name in SANDBOX_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, root / name)
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, root / path.name)
    (root / ".venv").symlink_to(ROOT / ".venv")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    if "pulumi" in tools:
        _executable(fake_bin / "pulumi", PULUMI)
    if "docker" in tools:
        _executable(fake_bin / "docker", DOCKER)
    _executable(fake_bin / "python3-old", OLD_PYTHON)
    system_path = ":".join(p for p in os.environ.get("PATH", "").split(":")
                           if p and not (Path(p) / "pulumi").exists() and not (Path(p) / "docker").exists())
    env = {
        "PATH": f"{fake_bin}:{system_path}",
        "HOME": str(tmp_path / "home"),
        "FAKE_LOG": str(tmp_path / "calls.jsonl"),
        "FAKE_STATE": str(tmp_path / "state"),
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    return Sandbox(root, fake_bin, tmp_path / "calls.jsonl", env)
