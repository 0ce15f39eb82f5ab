"""The operator's shell commands (issue 8 items 9-11, 15; issue 11 item 1), run with fake ``pulumi`` and
``docker`` executables that record every call (tests/fake_tools.py)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from fake_tools import Sandbox, make_sandbox
from pulumi_harness import ROOT

# The installed venv's stamp, never remade from a sandbox's fresh copies (make -o): a sandbox must not
# `pip install -e` itself into the shared venv.
STAMP = str(ROOT / ".venv" / ".deps-installed")
DEPS = ["-o", STAMP, f"DEPS={STAMP}"]


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return make_sandbox(tmp_path)


def make(box: Sandbox, *targets: str, **env: str) -> subprocess.CompletedProcess[str]:
    return box.run(["make", "-s", *targets, *DEPS], **env)


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
    (["make", "-s", "preview", *DEPS], ["preview", "--diff"]),
    (["bash", "scripts/pulumi.sh", "stack", "output", "--show-secrets", "consumerKeys"],
     ["stack", "output", "--show-secrets", "consumerKeys"]),
    (["make", "-s", "destroy", "ARGS=--yes"], ["destroy", "--yes"]),  # last: a destroyed stack has no outputs
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
    # a secure value in Pulumi.dev.yaml: `pulumi config --show-secrets` needs the passphrase only then
    # (pkg/cmd/pulumi/config/config.go listConfig: GetSecretsManager when cfg.HasSecureValue())
    assert box.run(["bash", "scripts/pulumi.sh", "config", "set", "--secret", "ai4v-gateway:redisPassword"],
                   input="r3dis-pw").returncode == 0
    done = box.run(["bash", "scripts/pulumi.sh", "stack", "output"], PULUMI_CONFIG_PASSPHRASE="not-the-one")
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


@pytest.mark.parametrize("backend", [{}, {"PULUMI_BACKEND_URL": "s3://team-bucket/ai4v",
                                           "PULUMI_CONFIG_PASSPHRASE": "team-secret"}], ids=["local", "shared"])
def test_staging_can_be_created_on_a_fresh_backend(box: Sandbox, backend: dict[str, str]) -> None:
    """Issue 22 item 6: on a backend without the stack, `make up STACK=staging` stops at validation (no
    certificate), so `scripts/pulumi.sh config set` must work first: it creates the stack of an existing
    Pulumi.staging.yaml with the project's secrets provider (the real CLI refuses `config set` on a missing
    stack), then `make up` deploys it."""
    cert, key = box.root / "staging.crt", box.root / "staging.key"
    cert.write_text("-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n", encoding="utf-8")
    key.write_text("-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n", encoding="utf-8")
    refused = make(box, "up", "STACK=staging", **backend)
    assert refused.returncode != 0 and "Pulumi.staging.yaml: config.ai4v-gateway:tlsCertificate" in refused.stderr
    for command, source in ((["config", "set", "-s", "staging", "ai4v-gateway:tlsCertificate"], cert),
                            (["config", "set", "-s", "staging", "--secret", "ai4v-gateway:tlsPrivateKey"], key)):
        done = box.run(["bash", "scripts/pulumi.sh", *command], input=source.read_text(), **backend)
        assert done.returncode == 0, done.stderr
    assert [a for a in box.argvs() if a[:2] == ["stack", "init"]] == [
        ["stack", "init", "staging", "--non-interactive", "--secrets-provider", "passphrase"]]
    stack_file = (box.root / "Pulumi.staging.yaml").read_text(encoding="utf-8")
    assert "encryptionsalt:" in stack_file and "secure:" in stack_file and "PRIVATE KEY" not in stack_file
    done = make(box, "up", "STACK=staging", **backend)
    assert done.returncode == 0, done.stderr
    assert ["up", "--stack", "staging", "--yes", "--non-interactive"] in box.argvs()


def test_config_set_on_a_stack_without_a_stack_file_is_refused(box: Sandbox) -> None:
    done = box.run(["bash", "scripts/pulumi.sh", "config", "set", "-s", "qa", "ai4v-gateway:kongNodes", "2"])
    assert done.returncode == 2 and "no stack qa in" in done.stderr
    assert not [a for a in box.argvs() if a[:2] == ["stack", "init"]]


def test_fake_pulumi_refuses_what_the_real_cli_refuses(box: Sandbox) -> None:
    """The fake's refusals, each with the real CLI's message (tests/fake_pulumi.py cites the code)."""
    def pulumi(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        return box.run(["pulumi", *args], input=stdin, PULUMI_BACKEND_URL="s3://b", **env)

    assert pulumi("config", "set", "--stack", "staging", "k", "v").stderr == "error: no stack named 'staging' found\n"
    assert pulumi("stack", "select", "staging").returncode == 255
    no_phrase = pulumi("stack", "init", "staging", "--secrets-provider", "passphrase")
    assert "passphrase must be set with PULUMI_CONFIG_PASSPHRASE" in no_phrase.stderr
    box.run(["git", "checkout", "--", "Pulumi.staging.yaml"])
    assert pulumi("stack", "select", "staging", "--create", PULUMI_CONFIG_PASSPHRASE="a").returncode == 0
    assert pulumi("stack", "init", "staging", PULUMI_CONFIG_PASSPHRASE="a").stderr == (
        "error: stack 'staging' already exists\n")
    assert pulumi("config", "set", "-s", "staging", "--secret", "k", stdin="v", PULUMI_CONFIG_PASSPHRASE="a"
                  ).returncode == 0
    wrong = pulumi("config", "--stack", "staging", "--show-secrets", "--json", PULUMI_CONFIG_PASSPHRASE="b")
    assert wrong.returncode == 255 and "incorrect passphrase" in wrong.stderr
    # a salt made with another passphrase: a new stack keeps it and refuses a passphrase that does not open it
    other = box.run(["pulumi", "stack", "init", "staging", "--secrets-provider", "passphrase"],
                    PULUMI_BACKEND_URL="gs://other", PULUMI_CONFIG_PASSPHRASE="b")
    assert other.returncode == 255 and "incorrect passphrase" in other.stderr
    # an import whose secrets the target cannot open, or of another stack's resources
    assert pulumi("up", "--stack", "staging", PULUMI_CONFIG_PASSPHRASE="a").returncode == 0
    exported = box.root / "staging.json"
    assert pulumi("stack", "export", "--stack", "staging", "--file", str(exported)).returncode == 0
    box.run(["pulumi", "stack", "init", "staging", "--secrets-provider", "awskms://k"], PULUMI_BACKEND_URL="gs://k")
    refused = box.run(["pulumi", "stack", "import", "--stack", "staging", "--file", str(exported)],
                      PULUMI_BACKEND_URL="gs://k", PULUMI_CONFIG_PASSPHRASE="c")
    assert refused.returncode == 255 and "incorrect passphrase" in refused.stderr
    box.run(["pulumi", "stack", "init", "prod", "--secrets-provider", "passphrase"], PULUMI_BACKEND_URL="s3://b",
            PULUMI_CONFIG_PASSPHRASE="c")
    other_stack = pulumi("stack", "import", "--stack", "prod", "--file", str(exported), PULUMI_CONFIG_PASSPHRASE="a")
    assert other_stack.returncode == 255 and "is from a different stack" in other_stack.stderr
    assert "still has resources" in pulumi("stack", "rm", "staging", "--yes").stderr


def two_nodes_in(box: Sandbox, mode: str) -> None:
    """dev with two Kong nodes in ``mode``, deployed."""
    stack_file = box.root / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text(encoding="utf-8").replace("kongNodes: 1", "kongNodes: 2")
                          .replace("mode: db", f"mode: {mode}"), encoding="utf-8")
    done = make(box, "up")
    assert done.returncode == 0, done.stderr


def kong_outages(box: Sandbox) -> int:
    return len(box.calls("kong"))


@pytest.mark.parametrize(("before", "after"), [("db", "dbless"), ("dbless", "db")])
def test_mode_switch_in_one_up_is_refused_with_the_procedure(box: Sandbox, before: str, after: str) -> None:
    """Issue 22 item 9: switching db <-> dbless with `config set` and one `make up` (or `scripts/pulumi.sh up`)
    is refused before `pulumi up`, in one line naming the procedure, exit 2: in one update the engine deletes the
    entities after the nodes became DB-less (405, and every later `up` fails the same way), or rolls the nodes
    onto an empty database (404 from every node until the entities exist)."""
    two_nodes_in(box, before)
    assert box.run(["bash", "scripts/pulumi.sh", "config", "set", "ai4v-gateway:mode", after]).returncode == 0
    ups = len([a for a in box.argvs() if a[:1] == ["up"]])
    line = ("Pulumi.dev.yaml: config.ai4v-gateway:mode: the stack runs " + before + " mode; switching it to " + after
            + " in one `pulumi up` leaves it unable to deploy: run `STACK=dev scripts/pulumi.sh switch-mode " + after
            + "` (docs/OPERATIONS.md, Switching modes)")
    done = make(box, "up")
    assert done.returncode != 0 and line in done.stderr.splitlines(), done.stderr
    done = box.run(["bash", "scripts/pulumi.sh", "up", "--yes"])
    assert done.returncode == 2 and done.stderr.splitlines() == [line]
    assert len([a for a in box.argvs() if a[:1] == ["up"]]) == ups  # refused before any update
    assert kong_outages(box) == 0


@pytest.mark.parametrize(("before", "after"), [("db", "dbless"), ("dbless", "db")])
def test_switch_mode_keeps_the_stack_deployable_and_serving(box: Sandbox, before: str, after: str) -> None:
    """Issue 22 item 9: `scripts/pulumi.sh switch-mode` switches a deployed two-node stack with no moment when no
    node serves the routes and no entity delete on DB-less Kong; the next `make up` succeeds."""
    two_nodes_in(box, before)
    done = box.run(["bash", "scripts/pulumi.sh", "switch-mode", after])
    assert done.returncode == 0, done.stderr
    assert kong_outages(box) == 0
    assert box.run(["bash", "scripts/pulumi.sh", "stack", "output", "mode"]).stdout.strip() == after
    again = make(box, "up")
    assert again.returncode == 0, again.stderr
    assert kong_outages(box) == 0


def test_switch_mode_to_a_mode_the_spec_cannot_run_changes_nothing(box: Sandbox) -> None:
    """switch-mode validates the stack in the new mode before it touches the state: a rate limit with
    `policy: cluster` needs a database, so dev stays in DB mode with its entities."""
    two_nodes_in(box, "db")
    overlay = box.root / "stacks" / "dev.yaml"
    overlay.write_text(overlay.read_text(encoding="utf-8")
                       + "services:\n  nmt:\n    plugins:\n      rate-limiting:\n"  # Kong's: it has cluster
                       + "        config: {minute: 5, limit_by: ip, policy: cluster}\n", encoding="utf-8")
    first = len(box.calls())
    done = box.run(["bash", "scripts/pulumi.sh", "switch-mode", "dbless"])
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "scripts/pulumi.sh: switch-mode: dev does not validate in dbless mode (above); nothing changed")
    assert "policy 'cluster' needs a database" in done.stderr
    assert not [c for c in box.argvs()[first:] if c[:2] == ["state", "delete"] or c[:1] == ["up"]]
    assert "ai4v-gateway:mode: db" in (box.root / "Pulumi.dev.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("before", "after"), [("db", "dbless"), ("dbless", "db")])
def test_switch_mode_run_again_after_a_failed_update_finishes(box: Sandbox, before: str, after: str) -> None:
    """A `pulumi up` of switch-mode that fails (its first: for dbless the entities are out of the state by
    then): the same command run again finishes the switch, with no outage."""
    two_nodes_in(box, before)
    failed = box.run(["bash", "scripts/pulumi.sh", "switch-mode", after], FAKE_FAIL="up#2")
    assert failed.returncode != 0
    done = box.run(["bash", "scripts/pulumi.sh", "switch-mode", after])
    assert done.returncode == 0, done.stderr
    assert box.run(["bash", "scripts/pulumi.sh", "stack", "output", "mode"]).stdout.strip() == after
    assert kong_outages(box) == 0
    assert make(box, "up").returncode == 0


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


TEAM = "s3://team-bucket/ai4v"


def deployed_with_a_secret(box: Sandbox) -> None:
    """`make up` on local state, plus a secure value in Pulumi.dev.yaml."""
    assert make(box, "up").returncode == 0
    done = box.run(["bash", "scripts/pulumi.sh", "config", "set", "--secret", "ai4v-gateway:redisPassword"],
                   input="r3dis-pw\n")
    assert done.returncode == 0, done.stderr


def fake_stack_state(box: Sandbox, backend: str, stack: str = "dev") -> str | None:
    """The fake backend's record of a stack (state and outputs), as the fake pulumi stores it."""
    path = Path(box.env["FAKE_STATE"]) / "stacks" / re.sub(r"[^A-Za-z0-9.-]", "_", backend) / f"{stack}.json"
    return path.read_text(encoding="utf-8") if path.exists() else None


def secret_config(box: Sandbox, **env: str) -> dict[str, str]:
    done = box.run(["bash", "scripts/pulumi.sh", "config", "--show-secrets", "--json"], **env)
    assert done.returncode == 0, done.stderr
    return {k: v["value"] for k, v in json.loads(done.stdout).items() if v["secret"]}


@pytest.mark.parametrize("target", [{"PULUMI_TARGET_CONFIG_PASSPHRASE": "team-secret"},
                                    {"PULUMI_TARGET_SECRETS_PROVIDER": "awskms://alias/ai4v?region=eu-west-1"}],
                         ids=["passphrase", "kms"])
def test_move_state_rekeys_before_import(box: Sandbox, target: dict[str, str]) -> None:
    """Issue 22 item 8: move-state re-keys the stack to the target's secrets provider first, then exports and
    imports it: the import opens the state's secrets with the target's passphrase or key (the old script
    dropped the salt and imported state the target could not decrypt). No clear copy of a secret is written."""
    deployed_with_a_secret(box)
    first = len(box.calls())
    moved = box.run(["bash", "scripts/pulumi.sh", "move-state"], PULUMI_TARGET_BACKEND_URL=TEAM, **target)
    assert moved.returncode == 0, moved.stderr
    assert "dev now lives in s3://team-bucket/ai4v" in moved.stdout
    local = f"file://{box.root / '.pulumi-state'}"
    steps = [(c["env"]["PULUMI_BACKEND_URL"], c["argv"][:2]) for c in box.calls()[first:]]
    assert steps == [
        (local, ["stack", "select"]),
        (local, ["config", "--stack"]),                     # passphrase check
        (local, ["stack", "export"]),                       # the copy to restore on failure (encrypted)
        (local, ["stack", "change-secrets-provider"]),      # re-key: config and state under the target's key
        (local, ["stack", "export"]),
        (TEAM, ["stack", "init"]),
        (TEAM, ["stack", "import"]),
    ]
    calls = box.calls()[first:]
    assert not any("--show-secrets" in c["argv"] for c in calls[2:])
    assert all("team-secret" not in " ".join(c["argv"]) for c in calls)  # the passphrase never on a command line
    if "PULUMI_TARGET_CONFIG_PASSPHRASE" in target:
        assert calls[3]["stdin"] == "team-secret\n"  # the new passphrase, as the CLI reads it when rotating
        team_env = {"PULUMI_BACKEND_URL": TEAM, "PULUMI_CONFIG_PASSPHRASE": "team-secret"}
    else:
        team_env = {"PULUMI_BACKEND_URL": TEAM, "PULUMI_SECRETS_PROVIDER": target["PULUMI_TARGET_SECRETS_PROVIDER"]}
    assert list(Path(box.env["TMPDIR"]).iterdir()) == []  # the private copies are gone
    # the moved stack works with the team's secrets: config opens, `make up` deploys
    assert secret_config(box, **team_env) == {"ai4v-gateway:redisPassword": "r3dis-pw"}
    done = make(box, "up", **team_env)
    assert done.returncode == 0, done.stderr


FAILING_STEPS = ["stack export#1", "stack change-secrets-provider", "stack export#2", f"stack init@{TEAM}",
                 f"stack import@{TEAM}"]


@pytest.mark.parametrize("failing", FAILING_STEPS)
def test_move_state_failure_leaves_the_source_stack_as_it_was(box: Sandbox, failing: str) -> None:
    """Issue 22 item 8: a failure at any step of move-state leaves the source stack as it was: the same
    Pulumi.dev.yaml (the re-key rewrote it: restored), the same state, its secrets open with the local
    passphrase; no stack left in the target; no clear secret file left behind."""
    deployed_with_a_secret(box)
    stack_file = box.root / "Pulumi.dev.yaml"
    local = f"file://{box.root / '.pulumi-state'}"
    before_file, before_state = stack_file.read_bytes(), fake_stack_state(box, local)
    done = box.run(["bash", "scripts/pulumi.sh", "move-state"], PULUMI_TARGET_BACKEND_URL=TEAM,
                   PULUMI_TARGET_CONFIG_PASSPHRASE="team-secret", FAKE_FAIL=failing)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("scripts/pulumi.sh: move-state failed while ")
    assert done.stderr.strip().splitlines()[-1].endswith("dev is as it was in " + local + ", nothing moved")
    assert stack_file.read_bytes() == before_file
    assert fake_stack_state(box, local) == before_state
    assert fake_stack_state(box, TEAM) is None
    assert secret_config(box) == {"ai4v-gateway:redisPassword": "r3dis-pw"}
    assert list(Path(box.env["TMPDIR"]).iterdir()) == []
    assert make(box, "up").returncode == 0  # and the local stack still deploys


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
    dry = {target: subprocess.run(["make", "-n", target, *DEPS], cwd=ROOT, capture_output=True, text=True,
                                  check=True, env={**os.environ}).stdout
           for target in ("lint", "test-lua")}
    lint_lua = [line for line in dry["lint"].splitlines() if line.startswith("cd lua && luacheck")]
    test_lua = [line for line in dry["test-lua"].splitlines() if line.startswith("cd lua && luacheck")]
    assert lint_lua == test_lua and lint_lua
    assert "bench" in lint_lua[0] and "gateway/explain/lua_runner.lua" in lint_lua[0]
