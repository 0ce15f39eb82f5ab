"""The operator's shell commands (issue 8 items 9-11, 15; issue 11 item 1), run with fake ``pulumi`` and
``docker`` executables that record every call (tests/fake_tools.py)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from fake_tools import Sandbox, make_sandbox
from pulumi_harness import ROOT

DEPS = f"DEPS={ROOT / '.venv' / '.deps-installed'}"


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return make_sandbox(tmp_path)


def make(box: Sandbox, *targets: str, **env: str) -> subprocess.CompletedProcess[str]:
    return box.run(["make", "-s", *targets, DEPS], **env)


# --- 11. operator commands after `make up` ----------------------------------------------------------------

def test_make_up_creates_the_stack_on_local_state_without_prompts(box: Sandbox) -> None:
    done = make(box, "up")
    assert done.returncode == 0, done.stderr
    argvs = box.argvs()
    assert argvs[0][:3] == ["stack", "select", "dev"]
    assert argvs[1] == ["stack", "init", "dev", "--non-interactive", "--secrets-provider", "passphrase"]
    assert ["up", "--stack", "dev", "--yes", "--non-interactive"] in argvs
    assert argvs[-1] == ["stack", "output", "--stack", "dev"]
    state = box.root / ".pulumi-state"
    for call in box.calls():
        assert call["env"]["PULUMI_BACKEND_URL"] == f"file://{state}"
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(state / "passphrase")
    assert stat.S_IMODE((state / "passphrase").stat().st_mode) == 0o600
    assert len((state / "passphrase").read_text()) == 64
    # stack init wrote the salt of this clone's passphrase into the tracked stack file: said once
    assert "Pulumi.dev.yaml now holds the encryptionsalt of your local passphrase" in done.stderr


OPERATOR_COMMANDS = [
    (["make", "-s", "output"], ["stack", "output"]),
    (["make", "-s", "preview", DEPS], ["preview", "--diff"]),
    (["make", "-s", "destroy", "ARGS=--yes"], ["destroy", "--yes"]),
    (["bash", "scripts/pulumi.sh", "stack", "output", "--show-secrets", "consumerKeys"],
     ["stack", "output", "--show-secrets", "consumerKeys"]),
]


def test_operator_commands_after_make_up_find_the_stack(box: Sandbox) -> None:
    assert make(box, "up").returncode == 0
    up_env = box.calls()[0]["env"]
    for command, expected in OPERATOR_COMMANDS:
        first = len(box.calls())
        done = box.run(command)
        assert done.returncode == 0, done.stderr
        calls = box.calls()[first:]
        assert calls[0]["argv"][:3] == ["stack", "select", "dev"]
        assert calls[-1]["argv"] == expected
        for call in calls:
            assert call["env"]["PULUMI_BACKEND_URL"] == up_env["PULUMI_BACKEND_URL"]
            assert call["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] == up_env["PULUMI_CONFIG_PASSPHRASE_FILE"]


def test_wrapper_takes_the_stack_from_pulumis_own_flag(box: Sandbox) -> None:
    assert make(box, "up", "STACK=staging", PULUMI_CONFIG_PASSPHRASE="p").returncode != 0  # no TLS: refused
    assert make(box, "up").returncode == 0
    first = len(box.calls())
    done = box.run(["bash", "scripts/pulumi.sh", "config", "set", "-s", "dev", "ai4v-gateway:kongNodes", "2"])
    assert done.returncode == 0, done.stderr
    assert box.calls()[first]["argv"] == ["stack", "select", "dev", "--non-interactive"]
    done = box.run(["bash", "scripts/pulumi.sh", "stack", "output", "--stack=staging"])
    assert done.returncode == 2 and "no stack staging" in done.stderr


def test_wrapper_on_a_missing_stack_says_how_to_create_it(box: Sandbox) -> None:
    done = box.run(["bash", "scripts/pulumi.sh", "stack", "output"], STACK="staging")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "scripts/pulumi.sh: no stack staging in file://" + str(box.root / ".pulumi-state")
        + "; `make up STACK=staging` creates it"]


def test_wrong_passphrase_is_one_clear_line(box: Sandbox) -> None:
    assert make(box, "up").returncode == 0
    done = box.run(["bash", "scripts/pulumi.sh", "stack", "output"], FAKE_WRONG_PASSPHRASE="1",
                   PULUMI_CONFIG_PASSPHRASE="not-the-one")
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("scripts/pulumi.sh: wrong passphrase for stack dev: PULUMI_CONFIG_PASSPHRASE does not "
                           "decrypt Pulumi.dev.yaml")
    assert ["stack", "output"] not in box.argvs()


def test_a_salt_from_another_passphrase_is_refused_before_stack_init(box: Sandbox) -> None:
    stack_file = box.root / "Pulumi.dev.yaml"
    stack_file.write_text("encryptionsalt: v1:someone-elses\n" + stack_file.read_text(encoding="utf-8"))
    done = make(box, "up")
    assert done.returncode != 0
    assert "Pulumi.dev.yaml holds an encryptionsalt (and secure values) from another passphrase" in done.stderr
    assert not [a for a in box.argvs() if a[:2] == ["stack", "init"]]


# --- issue 11 item 1: shared state ------------------------------------------------------------------------

def test_shared_backend_needs_the_team_passphrase_or_a_kms_key(box: Sandbox) -> None:
    done = make(box, "up", PULUMI_BACKEND_URL="s3://team-bucket/ai4v")
    assert done.returncode != 0
    assert ("make up: shared state (s3://team-bucket/ai4v) needs the team's secrets: set PULUMI_CONFIG_PASSPHRASE"
            in done.stderr)
    assert not box.calls()
    assert not (box.root / ".pulumi-state" / "passphrase").exists()


@pytest.mark.parametrize("backend", ["s3://team-bucket/ai4v", "azblob://ai4v-state", "gs://ai4v-state",
                                     "https://api.pulumi.com"])
def test_shared_backend_with_a_passphrase_from_the_secret_store(box: Sandbox, backend: str) -> None:
    stack = "acme/dev" if backend.startswith("https://") else "dev"
    done = make(box, "up", f"STACK={stack}", PULUMI_BACKEND_URL=backend, PULUMI_CONFIG_PASSPHRASE="team-secret")
    assert done.returncode == 0, done.stderr
    for call in box.calls():
        assert call["env"]["PULUMI_BACKEND_URL"] == backend
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "team-secret"
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] is None
    assert ["stack", "init", stack, "--non-interactive", "--secrets-provider", "passphrase"] in box.argvs()
    assert not (box.root / ".pulumi-state" / "passphrase").exists()


def test_shared_backend_with_a_kms_secrets_provider(box: Sandbox) -> None:
    done = make(box, "up", PULUMI_BACKEND_URL="s3://team-bucket/ai4v",
                PULUMI_SECRETS_PROVIDER="awskms://alias/ai4v-gateway?region=eu-west-1")
    assert done.returncode == 0, done.stderr
    assert ["stack", "init", "dev", "--non-interactive", "--secrets-provider",
            "awskms://alias/ai4v-gateway?region=eu-west-1"] in box.argvs()
    assert all(c["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] is None for c in box.calls())


def test_unknown_backend_scheme_is_refused(box: Sandbox) -> None:
    done = box.run(["bash", "scripts/pulumi.sh", "stack", "ls"], PULUMI_BACKEND_URL="ftp://x")
    assert done.returncode == 2
    assert "PULUMI_BACKEND_URL=ftp://x is not a Pulumi backend" in done.stderr


def test_move_state_from_local_to_shared(box: Sandbox) -> None:
    """The documented sequence (docs/PLATFORM.md, Shared state): export from the local stack, re-create
    it in the shared backend with the team's secrets, import, set each secret again, delete clear copies."""
    assert make(box, "up").returncode == 0
    first = len(box.calls())
    config = {"ai4v-gateway:redisPassword": {"value": "r3dis-pw", "secret": True},
              "ai4v-gateway:tlsPrivateKey": {"value": "-----BEGIN KEY-----\nk\n-----END KEY-----\n", "secret": True},
              "ai4v-gateway:kongNodes": {"value": "1", "secret": False}}
    done = box.run(["bash", "scripts/pulumi.sh", "move-state"], FAKE_CONFIG_JSON=json.dumps(config),
                   PULUMI_TARGET_BACKEND_URL="s3://team-bucket/ai4v", PULUMI_TARGET_CONFIG_PASSPHRASE="team-secret")
    assert done.returncode == 0, done.stderr
    local = f"file://{box.root / '.pulumi-state'}"
    steps = [(c["env"]["PULUMI_BACKEND_URL"], c["argv"][:3]) for c in box.calls()[first:]]
    assert steps == [
        (local, ["stack", "select", "dev"]),
        (local, ["config", "--stack", "dev"]),              # passphrase check
        (local, ["stack", "export", "--stack"]),
        (local, ["config", "--stack", "dev"]),              # secret config in clear, into the private dir
        (local, ["config", "rm", "--stack"]),
        (local, ["config", "rm", "--stack"]),
        ("s3://team-bucket/ai4v", ["stack", "init", "dev"]),
        ("s3://team-bucket/ai4v", ["stack", "import", "--stack"]),
        ("s3://team-bucket/ai4v", ["config", "set", "--stack"]),
        ("s3://team-bucket/ai4v", ["config", "set", "--stack"]),
    ]
    calls = box.calls()[first:]
    assert "--show-secrets" in calls[2]["argv"]
    exported = Path(calls[2]["argv"][calls[2]["argv"].index("--file") + 1])
    assert not exported.exists() and not exported.parent.exists()  # clear copies removed
    sets = {c["argv"][-1]: c["stdin"] for c in calls[-2:]}
    assert sets == {"ai4v-gateway:redisPassword": "r3dis-pw",
                    "ai4v-gateway:tlsPrivateKey": "-----BEGIN KEY-----\nk\n-----END KEY-----\n"}
    assert all("r3dis-pw" not in " ".join(c["argv"]) for c in calls)  # secrets never on a command line
    for call in calls[-4:]:
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "team-secret"
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] is None
    salts = [line for line in (box.root / "Pulumi.dev.yaml").read_text().splitlines() if "encryptionsalt" in line]
    assert salts == ["encryptionsalt: v1:salt-of-s3://team-bucket/ai4v"]  # the local one removed, the target's new
    assert "dev now lives in s3://team-bucket/ai4v" in done.stdout


def test_move_state_needs_the_target_and_its_secrets(box: Sandbox) -> None:
    assert make(box, "up").returncode == 0
    done = box.run(["bash", "scripts/pulumi.sh", "move-state"])
    assert done.returncode == 2 and "move-state needs PULUMI_TARGET_BACKEND_URL" in done.stderr
    done = box.run(["bash", "scripts/pulumi.sh", "move-state"], PULUMI_TARGET_BACKEND_URL="gs://b")
    assert done.returncode == 2 and "PULUMI_TARGET_CONFIG_PASSPHRASE" in done.stderr


# --- 9. several stacks on one host, 10. remote Docker ------------------------------------------------------

def test_ports_held_by_another_stack_are_refused_with_the_fix(box: Sandbox) -> None:
    ps = ("ai4v-gateway-qa-kong-1|0.0.0.0:8000->8000/tcp, :::8000->8000/tcp, 127.0.0.1:8001->8001/tcp\n"
          "ai4v-gateway-dev-kong-1|0.0.0.0:8443->8443/tcp\n")  # dev's own node: not a conflict
    done = make(box, "up", FAKE_DOCKER_PS=ps)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.startswith("Pulumi.dev.yaml")]
    assert len(lines) == 2
    assert lines[0].startswith("Pulumi.dev.yaml: config: host port 8000 (proxy http (node 1)) is already published "
                               "by ai4v-gateway-qa-kong-1; give dev its own ports: scripts/pulumi.sh config set -s "
                               "dev ai4v-gateway:proxyPort 8100 && ")
    assert "port 8001 (admin http)" in lines[1]
    assert not [a for a in box.argvs() if a[:1] == ["up"]]


def test_docker_context_endpoint_is_pinned_for_the_provider(box: Sandbox) -> None:
    done = make(box, "up", FAKE_DOCKER_ENDPOINT="unix:///home/me/.colima/docker.sock", DOCKER_CONTEXT="colima")
    assert done.returncode == 0, done.stderr
    for call in box.calls():
        assert call["env"]["DOCKER_HOST"] == "unix:///home/me/.colima/docker.sock"
        assert call["env"]["DOCKER_CONTEXT"] is None
    assert [c["env"]["DOCKER_HOST"] for c in box.calls("docker") if c["argv"][:1] == ["info"]] == [
        "unix:///home/me/.colima/docker.sock"]


def test_remote_docker_without_an_admin_tunnel_is_refused(box: Sandbox) -> None:
    done = make(box, "up", DOCKER_HOST="ssh://ops@gateway-host")
    assert done.returncode != 0
    [line] = [x for x in done.stderr.splitlines() if x.startswith("Pulumi.dev.yaml")]
    assert line == (
        "Pulumi.dev.yaml: config.ai4v-gateway:kongAdminUrl: Docker runs on ssh://ops@gateway-host, where the Admin "
        "API is published on that host's 127.0.0.1:8001, not this machine's: open a tunnel (`ssh -N -L "
        "18001:127.0.0.1:8001 ops@gateway-host`) and `scripts/pulumi.sh config set -s dev "
        "ai4v-gateway:kongAdminUrl http://127.0.0.1:18001`")
    assert not box.calls()


def test_remote_docker_with_the_tunnel_set_deploys(box: Sandbox) -> None:
    stack_file = box.root / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  ai4v-gateway:kongAdminUrl: http://127.0.0.1:18001\n")
    done = make(box, "up", DOCKER_HOST="ssh://ops@gateway-host")
    assert done.returncode == 0, done.stderr
    assert all(c["env"]["DOCKER_HOST"] == "ssh://ops@gateway-host" for c in box.calls())


def test_engine_that_does_not_answer(box: Sandbox) -> None:
    done = make(box, "up", FAKE_DOCKER_INFO_RC="1", DOCKER_HOST="tcp://10.0.0.5:2376")
    assert done.returncode != 0
    assert "make up: the Docker engine at tcp://10.0.0.5:2376 does not answer" in done.stderr


def test_missing_tools_are_named_before_anything_runs(tmp_path: Path) -> None:
    box = make_sandbox(tmp_path, tools=())
    done = make(box, "up")
    assert done.returncode != 0
    assert "make up: the Pulumi CLI is not installed" in done.stderr
    assert "make up: Docker is not installed" in done.stderr


# --- 15. Python version, machine paths, lint coverage ------------------------------------------------------

@pytest.mark.parametrize("target", ["up", "test"])
def test_old_python_is_refused_clearly(box: Sandbox, target: str) -> None:
    done = box.run(["make", "-s", target, f"PYTHON={box.bin / 'python3-old'}"])
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[0] == (
        "make: Python 3.9.18 is too old; this project needs Python 3.11 or newer (set PYTHON=python3.11 if you "
        "have it)")
    assert not box.calls()


def test_no_path_of_one_machine_in_the_repo() -> None:
    machine_root = "/" + "work" + "/"  # this machine's checkout root, spelled so this line does not match
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    hits = []
    for name in tracked.splitlines():
        path = ROOT / name
        if not path.is_file() or path.suffix in (".json",):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1)
                 if machine_root in line]
    assert hits == []


def test_make_lint_and_make_test_check_the_same_lua() -> None:
    dry = {target: subprocess.run(["make", "-n", target, DEPS], cwd=ROOT, capture_output=True, text=True,
                                  check=True, env={**os.environ}).stdout
           for target in ("lint", "test-lua")}
    lint_lua = [line for line in dry["lint"].splitlines() if line.startswith("cd lua && luacheck")]
    test_lua = [line for line in dry["test-lua"].splitlines() if line.startswith("cd lua && luacheck")]
    assert lint_lua == test_lua and lint_lua
    assert "bench" in lint_lua[0] and "tools/kong_schema_dump.lua" in lint_lua[0]
