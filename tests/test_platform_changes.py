"""Changing a running gateway (issue 8, items 4-6, 8, 16): what the program sends so that the engine and
terraform-provider-docker roll nodes one at a time, re-run failed migrations, apply health-check edits,
keep the Admin API to the Docker host, and keep deployed stacks' URNs.

The engine cascades a delete-before-replace only through *property* dependencies (an input computed from
the replaced resource); ``depends_on`` only orders. The tests pin which is which.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import fake_docker_logs
import pytest
from platform_helpers import (
    CONTAINER,
    DOCKER_STACKS,
    INIT_ERROR_KEY,
    PLATFORM,
    cached_run,
    containers,
    dep_names,
    env_of,
    replaced_on,
    role,
    stack_config,
    uploads_of,
)
from pulumi_harness import ROOT, InvokeRpcError, Registration, Run, Secret, call_hook, run_main, state_hook

from gateway.platform import kongconf
from gateway.platform.docker import database
from gateway.spec import load_spec
from gateway.spec.models import GatewaySpec

NODES = {"dev": 1, "staging": 2, "prod": 3}


def nodes_of(run: Run) -> list[Registration]:
    found = [c for name, c in containers(run).items() if re.fullmatch(r"kong-\d+", name)]
    return sorted(found, key=lambda c: int(c.name.rsplit("-", 1)[1]))


def property_dep_names(run: Run, resource: Registration) -> set[str]:
    return {role(run.by_urn(urn).name) for urns in resource.property_dependencies.values()
            for urn in urns}


# --- 4. rolling replacement ------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_node_i_waits_for_node_i_minus_1_and_nothing_else_waits_on_a_node_property(stack: str) -> None:
    run = cached_run(stack)
    nodes = nodes_of(run)
    assert len(nodes) == NODES[stack]
    for i, node in enumerate(nodes, start=1):
        deps = dep_names(run, node)
        assert (f"kong-{i - 1}" in deps) is (i > 1)
        assert not {f"kong-{j}" for j in range(i + 1, len(nodes) + 1)} & deps
        # the chain is ordering only: no input of node i comes from node i-1
        assert not {n for n in property_dep_names(run, node) if re.fullmatch(r"kong-\d+", n)}
        assert node.options["delete_before_replace"] is True  # fixed host ports
    node_names = {role(n.name) for n in nodes}
    for resource in run.resources:
        assert not property_dep_names(run, resource) & node_names, resource.name


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_migrations_replacement_cascades_into_no_node(stack: str) -> None:
    """Migrations are delete-before-replace (fixed name); the engine would first delete every resource
    with an input computed from them. No node has one, so an image bump migrates, then rolls the nodes."""
    run = cached_run(stack)
    migrations = containers(run)["migrations"]
    assert migrations.options["delete_before_replace"] is True
    for node in nodes_of(run):
        assert "migrations" in dep_names(run, node)
        assert "migrations" not in property_dep_names(run, node)


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_admin_url_is_known_from_settings_so_previews_show_entity_changes(stack: str) -> None:
    run = cached_run(stack)
    [provider] = run.of_type("pulumi:providers:kong")
    assert provider.inputs["kongAdminUri"] == "http://127.0.0.1:8001"
    assert not property_dep_names(run, provider) & {role(n.name) for n in nodes_of(run)}
    assert {role(n.name) for n in nodes_of(run)} <= dep_names(run, provider)  # still written after the nodes


# --- 5. retryable migrations ------------------------------------------------------------------------------

@pytest.mark.parametrize(("logs", "attempt"), [
    (None, 1),
    ([], 1),
    (["ai4v-migrations: attempt 1", "migrating core...", "ai4v-migrations: attempt 1 ok"], 1),
    (["ai4v-migrations: attempt 1", "Error: connection refused"], 2),
    (["ai4v-migrations: attempt 4", "Error: password authentication failed"], 5),
    (["ai4v-migrations: attempt 2", "ai4v-migrations: attempt 2 ok"], 2),
])
def test_next_attempt(logs: list[str] | None, attempt: int) -> None:
    assert database.next_attempt(logs) == attempt


MIGRATIONS_NAME = "ai4v-gateway-dev-migrations"


@pytest.mark.parametrize(("lines", "attempt"), [
    (None, "1"),
    (["ai4v-migrations: attempt 1"], "2"),
    (["ai4v-migrations: attempt 3", "ai4v-migrations: attempt 3 ok"], "3"),
])
def test_a_failed_migration_is_rerun_on_the_next_up(lines: list[str] | None, attempt: str) -> None:
    """A failed run leaves an exited container whose exit code the provider never re-reads; its logs
    make the next program carry the next attempt, a ForceNew env change, so `pulumi up` runs it again.
    A run that finished keeps its number: nothing is replaced. (The stdout lines, as the provider returns
    them: fake_docker_logs.)"""
    config, secret_keys = stack_config("dev")
    streams = {} if lines is None else {MIGRATIONS_NAME: fake_docker_logs.stream(lines)}
    with call_hook(fake_docker_logs.get_logs_hook(streams)):
        run = run_main("dev", config, secret_keys)
    migrations = containers(run)["migrations"]
    assert env_of(migrations)[database.ATTEMPT_ENV] == attempt


@pytest.mark.parametrize(("script_name", "command_name"), [("MIGRATIONS_SCRIPT", "MIGRATIONS_UP_COMMAND"),
                                                           ("FINISH_SCRIPT", "MIGRATIONS_FINISH_COMMAND")])
def test_the_attempt_marker_lines_come_from_the_command(script_name: str, command_name: str) -> None:
    script, command = getattr(database, script_name), getattr(kongconf, command_name)
    assert f"{{ {command}; }} >&2" in script  # Kong's output on stderr: stdout holds only the markers
    assert script.index("attempt $AI4V_MIGRATIONS_ATTEMPT\"") < script.index(command)
    assert script.endswith('&& echo "ai4v-migrations: attempt $AI4V_MIGRATIONS_ATTEMPT ok"')
    assert database.next_attempt(["ai4v-migrations: attempt 7 ok"]) == 7


# --- 6. health-check edits --------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_every_container_with_a_health_check_is_replaced_when_it_changes(stack: str) -> None:
    run = cached_run(stack)
    with_checks = [c for c in containers(run).values() if c.inputs.get("healthcheck")]
    assert {role(c.name).split("-")[0] for c in with_checks} == {"postgres", "redis", "kong"}
    for container in with_checks:
        assert replaced_on(container, "healthcheck"), container.name


# --- 8. Admin API for the operator only -------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_admin_api_only_from_the_docker_host(stack: str) -> None:
    run = cached_run(stack)
    for node in nodes_of(run):
        env = env_of(node)
        assert env["KONG_NGINX_ADMIN_INCLUDE"] == kongconf.NGINX_ADMIN_CONF
        assert not {"KONG_NGINX_ADMIN_ALLOW", "KONG_NGINX_ADMIN_DENY"} & set(env)  # pairs order would decide
        # the network's gateway (harness default) first, then everyone else refused: nginx takes the first match
        assert uploads_of(node)[kongconf.NGINX_ADMIN_CONF] == "allow 172.30.0.1;\ndeny all;\n"
        assert "network" in property_dep_names(run, node)


def test_admin_access_rules_reach_the_admin_server_block_in_order(kong: Any, tmp_path: Path) -> None:
    """Kong 3.9.3 writes injected ``nginx_admin_*`` directives in ``pairs`` order over its conf table
    (conf_loader/parse.lua ``parse_nginx_directives``), not in the order they were set. The rules travel in
    one included file, so the Admin API's server block gets ``allow`` before ``deny all`` whatever Kong's
    table layout (``kong prepare`` renders it and runs ``nginx -t``)."""
    conf = kongconf.KongNodeConf(mode="dbless", index=1, edge=load_spec(ROOT / "stacks", "dev").edge,
                                 publish_admin=True, manager_url=None, admin_api_url=None,
                                 files_root=str(tmp_path / "files"))
    rules = Path(conf.path(kongconf.NGINX_ADMIN_CONF))
    rules.parent.mkdir(parents=True)
    rules.write_text(kongconf.admin_access_conf("10.1.2.3"))
    prefix = tmp_path / "prefix"
    settings = {"KONG_DATABASE": "off", "KONG_PREFIX": str(prefix), **kongconf.admin_access_env(conf)}
    done = subprocess.run([str(kong.kong), "prepare"], env=kong.command_env(os.environ, settings), cwd=kong.lua_dir,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    rendered = (prefix / "nginx-kong.conf").read_text(encoding="utf-8")
    admin_block = rendered[rendered.index("server_name kong_admin;"):].split("server {", 1)[0]
    assert f"include {rules};" in admin_block
    assert rules.read_text().splitlines() == ["allow 10.1.2.3;", "deny all;"]


def test_network_without_ipv4_gateway_fails_clearly() -> None:
    config, secret_keys = stack_config("dev")
    hook = lambda a: {"ipamConfigs": [{"subnet": "fd00::/64", "gateway": "fd00::1"}]} \
        if a.typ == "docker:index/network:Network" else None  # noqa: E731
    with state_hook(hook), pytest.raises(Exception, match="reports no IPv4 gateway"):
        run_main("dev", config, secret_keys)


@pytest.mark.parametrize(("stack", "mode"), [("dev", "db"), ("staging", "dbless")])
def test_secret_files_are_not_world_readable(stack: str, mode: str) -> None:
    run = cached_run(stack, (("mode", mode),))
    for node in nodes_of(run):
        modes = {u["file"]: u["permissions"] for u in node.inputs["uploads"]}
        assert modes["/kong/tls/proxy.key"] == "0640"
        if mode == "dbless":
            assert modes["/kong/declarative/kong.yml"] == "0640"
        assert node.inputs["groupAdds"] == ["0"]  # uploads are root:root; Kong's user reads via group 0
        secret_files = {f for f, content in uploads_of(node).items() if isinstance(content, Secret)}
        assert "/kong/tls/proxy.key" in secret_files
        assert not [f for f in secret_files if int(modes[f], 8) & 0o004]  # no secret file is world-readable


# --- 16. conventions: names from the component, type token, aliases ---------------------------------------

def alias_urn(resource: Registration, spec: dict[str, str]) -> str:
    """The URN an alias spec names, as the engine builds it: the parent's type chain, the type, the name."""
    stack_project, _, _ = resource.urn.rpartition("::")[0].rpartition("::")
    parent_types = spec["parentUrn"].split("::")[2]
    return f"{stack_project}::{parent_types}${spec.get('type', resource.type)}::{spec.get('name', resource.name)}"


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_platform_children_names_type_and_aliases(stack: str) -> None:
    """Deployed stacks have ``ai4v:gateway:Platform$docker:index/container:Container::kong-1``; every child
    answers to that URN and the component to its old types (then KongPlatform), so nothing is replaced by the
    renames."""
    run = cached_run(stack)
    [platform] = [r for r in run.resources if r.name == PLATFORM and r.type.startswith("ai4v:")]
    assert platform.type == "ai4v:gateway:DockerPlatform"
    assert [a["spec"]["type"] for a in platform.options["aliases"]] == ["ai4v:gateway:KongPlatform", "ai4v:gateway:Platform"]
    children = [r for r in run.resources if r.parent == platform.urn]
    assert len(children) >= 8
    for resource in children:
        assert resource.name.startswith(f"{PLATFORM}-"), resource.name
        [alias] = [a["spec"] for a in resource.options["aliases"]]
        assert alias_urn(resource, alias) == (f"urn:pulumi:{stack}::ai4v-gateway::ai4v:gateway:Platform$"
                                              f"{resource.type}::{role(resource.name)}")


# --- issue 22: deploy and recover -------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_failed_health_wait_recreates_the_container_on_the_next_up(stack: str) -> None:
    """Issue 22 item 1: a container that failed its health wait is stored with an init error; the engine
    "updates" it on the next `up` (no new wait, so the rolling chain goes on to the next node) unless a
    ``replace_on_changes`` path contains the init-error key. Kong nodes, Postgres and Redis must have one."""
    waited = [c for c in containers(cached_run(stack)).values() if c.inputs.get("wait")]
    assert {role(c.name).split("-")[0] for c in waited} == {"postgres", "redis", "kong"}
    for container in waited:
        assert replaced_on(container, INIT_ERROR_KEY), container.name
        assert container.options["delete_before_replace"] is True  # fixed names and ports


REPLACE_COMMAND = re.compile(r"STACK=(?P<stack>[a-z]+) scripts/pulumi\.sh up --replace '(?P<urn>[^']+)'")


def test_documented_replace_urn_is_one_the_program_registers() -> None:
    """Issue 22 item 1: the recovery step in docs/OPERATIONS.md, `pulumi up --replace URN`, names a URN that
    `pulumi up` registers for that stack (a Kong node), as written."""
    text = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    commands = list(REPLACE_COMMAND.finditer(text))
    assert commands
    for command in commands:
        run = cached_run(command["stack"])
        [node] = [r for r in run.resources if r.urn == command["urn"]]
        assert re.fullmatch(r"kong-\d+", role(node.name)) and node.type == CONTAINER


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_kong_nodes_stop_gracefully_with_the_images_stop_signal(stack: str) -> None:
    """Issue 22 item 2: the provider stops a container it deletes or replaces with ``destroy_grace_seconds``
    (a kill when unset). Kong nodes stop with SIGQUIT (docker-kong's STOPSIGNAL: nginx's graceful shutdown)
    and a grace long enough for the stack's largest upload (at 1 MiB/s) and slowest service to finish."""
    spec = load_spec(ROOT / "stacks", stack)
    slowest_ms = max(s.connect_timeout + s.write_timeout + s.read_timeout for s in spec.services.values())
    for node in nodes_of(cached_run(stack)):
        grace = int(node.inputs["destroyGraceSeconds"])
        assert node.inputs["stopSignal"] == "SIGQUIT"
        assert int(node.inputs["stopTimeout"]) == grace  # `docker stop` by hand drains as long
        assert grace * 1000 >= slowest_ms + 1000 * spec.edge.max_body_size / (1 << 20)
        assert grace < 20 * 60  # inside the provider's delete timeout


def test_a_service_timeout_edit_leaves_the_kong_nodes_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22 item 2: the grace is the node's own, not the spec's: every node input change replaces the
    node (``replace_on_changes: ["*"]``), so in DB mode an edited service timeout must not change a node
    input (on a one-node stack that would be an outage)."""
    import gateway.spec

    real_load_spec = gateway.spec.load_spec

    def slower(*args: object, **kwargs: object) -> GatewaySpec:
        spec = real_load_spec(*args, **kwargs)  # type: ignore[arg-type]
        for service in spec.services.values():
            service.read_timeout += 60_000
        return spec

    config, secret_keys = stack_config("dev", mode="db")
    before = {node.name: node.inputs for node in nodes_of(run_main("dev", config, secret_keys))}
    monkeypatch.setattr(gateway.spec, "load_spec", slower)
    after = {node.name: node.inputs for node in nodes_of(run_main("dev", config, secret_keys))}
    assert before and after == before


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_kong_health_check_asks_status_ready_on_the_status_listener(stack: str) -> None:
    """Issue 22 item 3: the rolling gate (``wait`` on the health check) asks ``/status/ready`` on the node's
    status listener, not ``kong health`` (which only checks that nginx runs). The live proof that the command
    tells the two apart: tests/test_kong_readiness.py."""
    from gateway.platform.docker.kong import ready_check

    for node in nodes_of(cached_run(stack)):
        tests = node.inputs["healthcheck"]["tests"]
        port = env_of(node)["KONG_STATUS_LISTEN"].rsplit(":", 1)[1]
        assert tests == ["CMD", *ready_check(int(port))]
        assert f"http://127.0.0.1:{port}/status/ready" in tests[-1]
        assert "health" not in tests[:-1]


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_migrations_finish_runs_after_the_last_node(stack: str) -> None:
    """Issue 22 item 4: ``kong migrations finish`` runs once every node runs the new version (old nodes cannot
    use the database after it); ``bootstrap && up`` still gates the nodes. Both wait through depends_on
    only, so neither replacement forces a node out first."""
    run = cached_run(stack)
    up, finish = containers(run)["migrations"], containers(run)["migrations-finish"]
    nodes = nodes_of(run)
    assert "finish" not in up.inputs["command"][-1]
    assert finish.inputs["command"] == ["sh", "-c", database.FINISH_SCRIPT]
    assert "kong migrations finish" in database.FINISH_SCRIPT and "migrations up" not in database.FINISH_SCRIPT
    assert {role(n.name) for n in nodes} <= dep_names(run, finish)
    assert not property_dep_names(run, finish) & {role(n.name) for n in nodes}
    assert finish.inputs["image"] == up.inputs["image"] == nodes[0].inputs["image"]  # a new version runs both
    assert finish.inputs["attach"] is True and finish.options["delete_before_replace"] is True
    for node in nodes:
        assert "migrations" in dep_names(run, node) and "migrations-finish" not in dep_names(run, node)


def test_a_failed_migrations_finish_fails_the_deployment() -> None:
    """Issue 22 item 4: nothing waits on ``finish``, so its gate is in the platform's outputs: a failed run
    fails `pulumi up` (after the nodes), and the next `up` runs it again as attempt 2."""
    config, secret_keys = stack_config("dev")
    hook = lambda a: {"exitCode": 1} if role(a.name) == "migrations-finish" else None  # noqa: E731
    with state_hook(hook), pytest.raises(Exception, match=r"migrations-finish: `kong migrations finish` exited "
                                                          r"with 1; the nodes run the new version"):
        run_main("dev", config, secret_keys)
    finish_log = fake_docker_logs.stream(["ai4v-migrations: attempt 1"])
    with call_hook(fake_docker_logs.get_logs_hook({f"{MIGRATIONS_NAME}-finish": finish_log,
                                                   MIGRATIONS_NAME: fake_docker_logs.stream(
                                                       ["ai4v-migrations: attempt 1", "ai4v-migrations: attempt 1 ok"])})):
        run = run_main("dev", config, secret_keys)
    assert env_of(containers(run)["migrations-finish"])[database.ATTEMPT_ENV] == "2"
    assert env_of(containers(run)["migrations"])[database.ATTEMPT_ENV] == "1"


@pytest.mark.parametrize("error", [
    fake_docker_logs.engine_error("invoking docker:index/getLogs:getLogs: dataSourceDockerLogsRead: error while "
                                  "asking for logs Cannot connect to the Docker daemon at unix:///var/run/"
                                  "docker.sock. Is the docker daemon running?"),
    fake_docker_logs.CRASHED,
    fake_docker_logs.missing("ai4v-gateway-dev-other"),
])
def test_only_a_missing_container_means_no_earlier_migration_run(error: InvokeRpcError) -> None:
    """Issue 22 item 5: only the daemon's "No such container: <this container>" means there was no earlier
    run (attempt 1); any other failure to read the log stops the preview or `up` with a clear message."""
    config, secret_keys = stack_config("dev")
    with call_hook(fake_docker_logs.get_logs_hook({MIGRATIONS_NAME: error})), \
            pytest.raises(kongconf.MigrationError, match=rf"^{MIGRATIONS_NAME}: cannot read the log of its last "
                                                         r"run, which decides whether the migrations run again"):
        run_main("dev", config, secret_keys)
    with call_hook(fake_docker_logs.get_logs_hook({})):
        run = run_main("dev", config, secret_keys)
    assert env_of(containers(run)["migrations"])[database.ATTEMPT_ENV] == "1"


def test_migration_logs_are_read_with_their_frame_headers() -> None:
    """Issue 22 item 5: with ``discard_headers`` (the default) the provider cuts 8 bytes off every line and
    panics on a shorter one, which a 10-byte frame makes (its size byte is a newline); the program reads
    the lines with their headers and takes the frames apart itself."""
    config, secret_keys = stack_config("dev")
    failed = (fake_docker_logs.stream(["ai4v-migrations: attempt 2", "attempt 2"])  # a 9-character line
              + fake_docker_logs.frame(fake_docker_logs.STDOUT, "status: a\r\nstatus: b\r\n"))
    with call_hook(fake_docker_logs.get_logs_hook({MIGRATIONS_NAME: failed})):
        run = run_main("dev", config, secret_keys)
    assert env_of(containers(run)["migrations"])[database.ATTEMPT_ENV] == "3"


@pytest.mark.parametrize(("data", "lines"), [
    (fake_docker_logs.stream(["ai4v-migrations: attempt 1", "123456789", "", "ai4v-migrations: attempt 1 ok"]),
     ["ai4v-migrations: attempt 1", "123456789", "", "ai4v-migrations: attempt 1 ok"]),
    (fake_docker_logs.frame(1, "two\nlines\n") + fake_docker_logs.frame(2, "err\r\n")
     + fake_docker_logs.frame(1, "crlf\r\n\r\nend"), ["two", "lines", "err", "crlf", "", "end"]),
    (fake_docker_logs.frame(1, "x" * 300 + "\n"), ["x" * 300]),  # two size bytes
    (b"", []),
], ids=["a-10-byte-frame", "several-lines-a-frame-and-crlf", "a-300-byte-frame", "nothing"])
def test_demultiplex_takes_apart_the_lines_the_provider_returns(data: bytes, lines: list[str]) -> None:
    """Issue 22 item 5: frames split by the provider's scanner (``ScanLines``: at every newline, a ``\\r``
    before it dropped), headers kept, give back the lines the container wrote."""
    assert database.demultiplex(fake_docker_logs.scan_lines(data, discard_headers=False)) == lines
    with pytest.raises(database.LogFormatError, match="not Docker's multiplexed stream"):
        database.demultiplex(["no header here"])
