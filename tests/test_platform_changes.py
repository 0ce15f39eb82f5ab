"""Changing a running gateway (issue 8, items 4-6, 8, 16): what the program sends so that the engine and
terraform-provider-docker roll nodes one at a time, re-run failed migrations, apply health-check edits,
keep the Admin API to the Docker host, and keep deployed stacks' URNs.

The engine cascades a delete-before-replace only through *property* dependencies (an input computed from
the replaced resource); ``depends_on`` only orders. The tests pin which is which.
"""

from __future__ import annotations

import re

import fake_docker_logs
import pytest
from platform_helpers import (
    DOCKER_STACKS,
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
from pulumi_harness import Registration, Run, Secret, call_hook, run_main, state_hook

from gateway.platform import kongconf
from gateway.platform.docker import database

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


@pytest.mark.parametrize(("script", "command"), [(database.MIGRATIONS_SCRIPT, kongconf.MIGRATIONS_UP_COMMAND),
                                                 (database.FINISH_SCRIPT, kongconf.MIGRATIONS_FINISH_COMMAND)])
def test_the_attempt_marker_lines_come_from_the_command(script: str, command: str) -> None:
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
        assert env["KONG_NGINX_ADMIN_ALLOW"] == "172.30.0.1"  # the network's gateway (harness default)
        assert env["KONG_NGINX_ADMIN_DENY"] == "all"
        assert "network" in property_dep_names(run, node)


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
    answers to that URN and the component to its old type, so nothing is replaced by the rename."""
    run = cached_run(stack)
    [platform] = [r for r in run.resources if r.name == PLATFORM and r.type.startswith("ai4v:")]
    assert platform.type == "ai4v:gateway:KongPlatform"
    assert [a["spec"]["type"] for a in platform.options["aliases"]] == ["ai4v:gateway:Platform"]
    children = [r for r in run.resources if r.parent == platform.urn]
    assert len(children) >= 8
    for resource in children:
        assert resource.name.startswith(f"{PLATFORM}-"), resource.name
        [alias] = [a["spec"] for a in resource.options["aliases"]]
        assert alias_urn(resource, alias) == (f"urn:pulumi:{stack}::ai4v-gateway::ai4v:gateway:Platform$"
                                              f"{resource.type}::{role(resource.name)}")
