"""The procedures of docs/OPERATIONS.md, run as written with the fake ``pulumi`` of tests/fake_pulumi.py, which
refuses what the real CLI refuses (a command on a stack that does not exist, a passphrase that does not open
the stack's salt, an import whose secrets the target cannot open, ...)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fake_tools import Sandbox, make_sandbox
from pulumi_harness import ROOT

# The installed venv's stamp, never remade from a sandbox's fresh copies (make -o): a sandbox must not
# `pip install -e` itself into the shared venv.
DEPS = f"-o {ROOT / '.venv' / '.deps-installed'} DEPS={ROOT / '.venv' / '.deps-installed'}"
TEAM = "s3://team-bucket/ai4v"


def procedure(heading: str) -> list[str]:
    """The commands of the ``sh`` blocks under ``## heading`` (or ``###``) of docs/OPERATIONS.md."""
    text = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    match = re.search(rf"^(#+) {re.escape(heading)}\n(.*?)(?=^#{{1,3}} |\Z)", text, re.S | re.M)
    assert match, f"no section {heading!r} in docs/OPERATIONS.md"
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", match.group(2), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s{2,}# ", line)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def run_as_written(box: Sandbox, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    shell = re.sub(r"(^|\s)make ", rf"\1make -s {DEPS} ", command, count=1)
    return box.run(["bash", "-c", shell], **env)


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    sandbox = make_sandbox(tmp_path)
    (sandbox.root / "team.pass").write_text("team-secret\n", encoding="utf-8")
    return sandbox


def run_script(box: Sandbox, commands: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The commands as one shell script (an ``export`` holds for the lines after it), stopping at the first
    failure."""
    script = "\n".join(re.sub(r"(^|\s)make ", rf"\1make -s {DEPS} ", c, count=1) for c in commands)
    return box.run(["bash", "-e", "-c", script], **env)


def test_creating_a_stack_procedure_runs_as_written(box: Sandbox) -> None:
    """Issue 22 item 6: docs/OPERATIONS.md "Creating a stack" creates staging on a fresh shared backend and
    deploys it: the certificate is set before `make up` validates (the fake refuses `config set` on a stack
    the backend does not have, as the real CLI does)."""
    (box.root / "staging.crt").write_text("-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n")
    (box.root / "staging.key").write_text("-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n")
    commands = procedure("Creating a stack")
    assert len(commands) == 4
    done = run_script(box, commands)
    assert done.returncode == 0, done.stderr
    assert [c["env"]["PULUMI_BACKEND_URL"] for c in box.calls() if c["argv"][:1] == ["up"]] == [TEAM]
    assert ["up", "--stack", "staging", "--yes", "--non-interactive"] in box.argvs()


def test_moving_state_procedure_runs_as_written(box: Sandbox) -> None:
    """Issue 22 item 8: docs/OPERATIONS.md "Moving state" moves a deployed local stack with a secret to shared
    state, the shared stack previews with the team's passphrase, and the local copy is forgotten."""
    assert run_as_written(box, "make up").returncode == 0
    assert box.run(["bash", "scripts/pulumi.sh", "config", "set", "--secret", "ai4v-gateway:redisPassword"],
                   input="r3dis-pw").returncode == 0
    commands = procedure("Moving state")
    assert len(commands) == 3
    for command in commands:
        done = run_as_written(box, command)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert ["preview", "--diff"] in [c["argv"] for c in box.calls() if c["env"]["PULUMI_BACKEND_URL"] == TEAM]
    local = box.run(["bash", "scripts/pulumi.sh", "stack", "output"])
    assert local.returncode == 2 and "no stack dev in file://" in local.stderr  # the local copy is gone
    assert list(Path(box.env["TMPDIR"]).iterdir()) == []


def test_switching_modes_procedure_runs_as_written(box: Sandbox) -> None:
    """Issue 22 item 9: docs/OPERATIONS.md "Switching modes" takes deployed staging (two nodes, DB mode) to
    dbless and back: no entity delete reaches DB-less Kong (the fake answers 405 as Kong does), never a moment
    when no node serves the routes, and `make up` deploys after each switch."""
    (box.root / "staging.crt").write_text("-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n")
    (box.root / "staging.key").write_text("-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n")
    created = run_script(box, procedure("Creating a stack"))  # staging on the team's backend
    assert created.returncode == 0, created.stderr
    team = {"PULUMI_BACKEND_URL": TEAM, "PULUMI_CONFIG_PASSPHRASE_FILE": "team.pass"}
    commands = procedure("Switching modes")
    assert [c.split()[-1] for c in commands] == ["dbless", "db"]
    for command in commands:
        done = run_as_written(box, command, **team)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        mode = box.run(["bash", "scripts/pulumi.sh", "stack", "output", "mode"], STACK="staging", **team)
        assert mode.stdout.strip() == command.split()[-1]
        again = run_as_written(box, "make up STACK=staging", **team)
        assert again.returncode == 0, again.stderr
    assert box.calls("kong") == []  # no outage
