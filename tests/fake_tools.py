"""Fake ``pulumi``, ``docker`` and ``python3`` executables for the shell-script tests.

There is no Pulumi CLI or Docker engine on the test machine; the scripts are run with these on PATH.
Each call appends one JSON line to ``$FAKE_LOG`` (argv, the environment that matters, stdin for
``config set --secret``) and answers from a small state directory and ``FAKE_*`` variables, like the
real tool would on the happy path and on the failures the scripts handle.
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

PULUMI = r'''
import json, os, pathlib, sys
args = sys.argv[1:]
state = pathlib.Path(os.environ["FAKE_STATE"])
backend = os.environ.get("PULUMI_BACKEND_URL", "")
entry = {"tool": "pulumi", "argv": args, "cwd": os.getcwd(),
         "env": {k: os.environ.get(k) for k in RECORDED_ENV}}
if args[:2] == ["config", "set"] and "--secret" in args and len([a for a in args[2:] if not a.startswith("-")]) <= 2:
    entry["stdin"] = sys.stdin.read()
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(entry) + "\n")
stacks = state / "stacks" / backend.replace("/", "_")
def stack_arg():
    for flag in ("--stack", "-s"):
        if flag in args:
            return args[args.index(flag) + 1]
    return None
if args[:2] == ["stack", "select"]:
    sys.exit(0 if (stacks / args[2].replace("/", "_")).exists() else 255)
if args[:2] == ["stack", "init"]:
    stacks.mkdir(parents=True, exist_ok=True)
    (stacks / args[2].replace("/", "_")).touch()
    if "passphrase" in args:
        config = pathlib.Path(f"Pulumi.{args[2].split('/')[-1]}.yaml")
        text = config.read_text() if config.exists() else "config: {}\n"
        if "encryptionsalt:" not in text:
            config.write_text(f"encryptionsalt: v1:salt-of-{backend}\n" + text)
    sys.exit(0)
if args[:1] == ["config"] and "--json" in args:
    if os.environ.get("FAKE_WRONG_PASSPHRASE"):
        print("error: getting stack configuration: get stack secrets manager: incorrect passphrase", file=sys.stderr)
        sys.exit(255)
    print(os.environ.get("FAKE_CONFIG_JSON", "{}"))
    sys.exit(0)
if args[:2] == ["stack", "output"] and os.environ.get("FAKE_STACK_OUTPUT"):
    print(os.environ["FAKE_STACK_OUTPUT"])
    sys.exit(0)
if args[:2] == ["stack", "export"]:
    pathlib.Path(args[args.index("--file") + 1]).write_text('{"version": 3}')
    sys.exit(0)
print("fake pulumi " + " ".join(args))
'''.replace("RECORDED_ENV", repr(RECORDED_ENV))

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

SANDBOX_FILES = ("Makefile", "__main__.py", "requirements.txt", "requirements-dev.txt", ".gitignore", "scripts",
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

    def run(self, command: list[str], **extra_env: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **extra_env}
        return subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True, timeout=120)

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
    }
    return Sandbox(root, fake_bin, tmp_path / "calls.jsonl", env)
