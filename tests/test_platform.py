"""DockerPlatform under Pulumi mocks: every container of dev, staging, prod and dbless."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pulumi_harness
import pytest
import yaml
from platform_helpers import (
    CONTAINER,
    DOCKER_STACKS,
    PROD_ADMIN_TUNNEL,
    TEST_CERT,
    TEST_KEY,
    cached_run,
    child,
    containers,
    dep_names,
    env_of,
    labels_of,
    ports_of,
    replaced_on,
    role,
    stack_config,
    uploads_of,
)
from pulumi_harness import ROOT, Registration, Run, Secret, reveal, run_main, state_hook

from gateway.platform import kongconf, naming
from gateway.platform.docker import backends, ports
from gateway.platform.docker.kong import ready_check
from gateway.spec import load_spec
from gateway.spec.models import Edge
from gateway.stack.images import IMAGES
from gateway.stack.settings import StackSettings

DBLESS = (("mode", "dbless"),)
NODES = {"dev": 1, "staging": 2, "prod": 3}
CUSTOM_PLUGIN_DIRS = {name: kongconf.PLUGINS_ROOT / name for name in kongconf.CUSTOM_PLUGINS}


def kong_nodes(run: Run) -> list[Registration]:
    nodes = [c for name, c in containers(run).items() if re.fullmatch(r"kong-\d+", name)]
    return sorted(nodes, key=lambda c: int(c.name.rsplit("-", 1)[1]))


# --- images, network, names --------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_images_are_pinned_and_containers_share_one_network(stack: str) -> None:
    run = cached_run(stack)
    images = {r.inputs["name"] for r in run.of_type("docker:index/remoteImage:RemoteImage")}
    expected = {IMAGES[k].default for k in ("kongImage", "postgresImage", "redisImage")}
    if stack == "dev":
        expected.add("mendhak/http-https-echo:36")
    assert images == expected
    [network] = run.of_type("docker:index/network:Network")
    assert network.inputs["driver"] == "bridge"
    assert network.inputs["name"] == f"ai4v-gateway-{stack}-net"
    for name, container in containers(run).items():
        assert [n["name"] for n in container.inputs["networksAdvanced"]] == [f"ai4v-gateway-{stack}-net"], name
        assert container.inputs["name"].startswith(f"ai4v-gateway-{stack}-")
        assert container.options["delete_before_replace"], name  # fixed names


# --- Postgres ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_postgres(stack: str) -> None:
    run = cached_run(stack)
    pg = containers(run)["postgres"]
    assert pg.inputs["image"] == IMAGES["postgresImage"].default
    env = env_of(pg)
    assert env["POSTGRES_USER"] == "kong" and env["POSTGRES_DB"] == "kong"
    assert isinstance(env["POSTGRES_PASSWORD"], Secret)
    assert pg.inputs["volumes"] == [{"volumeName": f"ai4v-gateway-{stack}-postgres-data",
                                     "containerPath": "/var/lib/postgresql/data"}]
    # over TCP: the entrypoint's first-start server listens on the Unix socket only
    assert pg.inputs["healthcheck"]["tests"] == ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "kong", "-d", "kong"]
    assert pg.inputs["wait"] is True
    assert pg.inputs["restart"] == "unless-stopped"
    assert pg.inputs["networksAdvanced"][0]["aliases"] == ["postgres"]
    assert "ports" not in pg.inputs or pg.inputs["ports"] == []
    assert "postgres-data" in dep_names(run, pg)


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("staging", False), ("prod", True)])
def test_postgres_volume_protected_and_retained_on_prod(stack: str, protected: bool) -> None:
    volume = child(cached_run(stack), "postgres-data")
    assert volume.options["protect"] is protected
    assert volume.options["retain_on_delete"] is protected


# --- Redis -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_redis_requires_a_password(stack: str) -> None:
    redis = containers(cached_run(stack))["redis"]
    assert redis.inputs["image"] == IMAGES["redisImage"].default
    assert redis.inputs["command"] == ["redis-server", "/usr/local/etc/redis/redis.conf"]
    conf = uploads_of(redis)["/usr/local/etc/redis/redis.conf"]
    assert isinstance(conf, Secret) and conf.value.startswith('requirepass "generated-redisPassword-')
    assert isinstance(env_of(redis)["REDISCLI_AUTH"], Secret)
    assert redis.inputs["healthcheck"]["tests"] == ["CMD-SHELL", "redis-cli ping | grep -q PONG"]
    assert redis.inputs["wait"] is True and redis.inputs["restart"] == "unless-stopped"
    assert redis.inputs["networksAdvanced"][0]["aliases"] == ["redis"]
    assert not redis.inputs.get("ports")


# --- migrations and the gate ---------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_migrations_run_once_attached_and_gate_kong(stack: str) -> None:
    run = cached_run(stack)
    migrations = containers(run)["migrations"]
    assert migrations.inputs["image"] == IMAGES["kongImage"].default
    assert migrations.inputs["command"] == [
        "sh", "-c", 'echo "ai4v-migrations: attempt $AI4V_MIGRATIONS_ATTEMPT" && { kong migrations bootstrap '
        '&& kong migrations up; } >&2 && echo "ai4v-migrations: attempt $AI4V_MIGRATIONS_ATTEMPT ok"']
    assert migrations.inputs["attach"] is True and migrations.inputs["mustRun"] is False
    assert migrations.inputs["restart"] == "no"
    env = env_of(migrations)
    assert env["KONG_DATABASE"] == "postgres" and env["KONG_PG_HOST"] == "postgres"
    assert isinstance(env["KONG_PG_PASSWORD"], Secret)
    assert "postgres" in dep_names(run, migrations)
    assert env["AI4V_MIGRATIONS_ATTEMPT"] == "1"  # no earlier run (the logs invoke answers nothing)
    for node in kong_nodes(run):
        assert "migrations" in dep_names(run, node)
        # the gate is in depends_on, not an input: replacing the migrations never forces the nodes out first
        assert not any("migrations" in str(label) for label in labels_of(node))


def test_failing_migration_stops_kong() -> None:
    def fail_migrations(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any] | None:
        return {"exitCode": 1} if role(args.name) == "migrations" else None

    config, secret_keys = stack_config("dev")
    with state_hook(fail_migrations), pytest.raises(Exception) as excinfo:
        run_main("dev", config, secret_keys)
    assert "exited with 1" in str(excinfo.value) or "exited with 1" in repr(excinfo.value)


def test_failing_migration_registers_no_kong_container() -> None:
    recorded = []
    original = pulumi_harness._RecordingMonitor.RegisterResource

    def spy(self: Any, request: Any) -> Any:
        recorded.append(role(request.name))
        return original(self, request)

    config, secret_keys = stack_config("dev")
    pulumi_harness._RecordingMonitor.RegisterResource = spy  # type: ignore[method-assign]
    try:
        with (state_hook(lambda a: {"exitCode": 3} if role(a.name) == "migrations" else None),
              pytest.raises(Exception, match="exited with 3")):
            run_main("dev", config, secret_keys)
    finally:
        pulumi_harness._RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    assert "migrations" in recorded
    assert "kong-image" in recorded  # the run got that far
    assert not [name for name in recorded if re.fullmatch(r"kong-\d+", name)]
    assert "kong-admin" not in recorded  # nor pulumi-kong's provider, so no Kong entity


def test_require_zero_exit() -> None:
    assert kongconf.require_zero_exit(0) == "0"
    with pytest.raises(kongconf.MigrationError, match="exited with 2"):
        kongconf.require_zero_exit(2, "m")
    with pytest.raises(kongconf.MigrationError, match="no exit code"):
        kongconf.require_zero_exit(None)


# --- Kong nodes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_kong_nodes(stack: str) -> None:
    run = cached_run(stack)
    nodes = kong_nodes(run)
    assert [role(n.name) for n in nodes] == [f"kong-{i}" for i in range(1, NODES[stack] + 1)]
    for node in nodes:
        assert node.inputs["image"] == IMAGES["kongImage"].default
        env = env_of(node)
        assert env["KONG_DATABASE"] == "postgres"
        assert env["KONG_PLUGINS"] == "bundled,language-router,identity-guard,rate-limiting-inline"
        assert env["KONG_PG_HOST"] == "postgres" and env["KONG_PG_USER"] == "kong"
        assert isinstance(env["KONG_PG_PASSWORD"], Secret)
        assert env["KONG_PROXY_ACCESS_LOG"] == "/dev/stdout ai4v_access" and env["KONG_PROXY_ERROR_LOG"] == "/dev/stderr"
        assert env["KONG_ADMIN_ACCESS_LOG"] == "/dev/stdout ai4v_access" and env["KONG_ADMIN_ERROR_LOG"] == "/dev/stderr"
        assert env["KONG_ERROR_DEFAULT_TYPE"] == "application/json"
        assert env["KONG_STATUS_LISTEN"] == "0.0.0.0:8100"
        assert env["KONG_SSL_CERT"] == "/kong/tls/proxy.crt" and env["KONG_SSL_CERT_KEY"] == "/kong/tls/proxy.key"
        # bodies above 1 MiB spill to a file, which language-router scans in chunks (issue 9)
        assert env["KONG_NGINX_HTTP_CLIENT_BODY_BUFFER_SIZE"] == "1m"
        assert env["KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE"] == "50m"
        assert "KONG_DECLARATIVE_CONFIG" not in env
        assert node.inputs["healthcheck"]["tests"] == ["CMD", *ready_check(8100)]
        assert node.inputs["wait"] is True and int(node.inputs["waitTimeout"]) == 180
        assert node.inputs["restart"] == "unless-stopped"
        assert replaced_on(node, "uploads") and replaced_on(node, "labels")
        assert {"postgres", "migrations", "redis", "kong-image"} <= dep_names(run, node)
        assert not any(u.get("source") for u in node.inputs["uploads"])  # no host paths: remote hosts work
        assert "volumes" not in node.inputs and "mounts" not in node.inputs


@pytest.mark.parametrize("stack", DOCKER_STACKS)
@pytest.mark.parametrize("plugin", kongconf.CUSTOM_PLUGINS)
def test_custom_plugin_files_uploaded_and_enabled(stack: str, plugin: str) -> None:
    directory = CUSTOM_PLUGIN_DIRS[plugin]
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
    assert {"handler.lua", "schema.lua"} <= set(files)
    for node in kong_nodes(cached_run(stack)):
        uploads = uploads_of(node)
        target = f"/usr/local/share/lua/5.1/kong/plugins/{plugin}/"
        assert sorted(f.removeprefix(target) for f in uploads if f.startswith(target)) == files
        for name in files:
            assert uploads[target + name] == (directory / name).read_text(encoding="utf-8")
        assert plugin in env_of(node)["KONG_PLUGINS"].split(",")


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_detector_tree_reaches_the_containers_lua_path(stack: str, tmp_path: Path) -> None:
    """Issue 24 item 3: language-router's detector data lives in a subdirectory (detect/); every file of a
    plugin's tree, and nothing hidden, is uploaded at its path under kong/plugins/<name>/, where Kong's
    ``/usr/local/share/lua/5.1/?.lua`` resolves ``kong.plugins.language-router.detect.langdata``."""
    (tmp_path / "sub").mkdir()
    for name in ("handler.lua", "schema.lua", "sub/data.lua", ".hidden", "sub/.swp"):
        (tmp_path / name).write_text("return {}\n")
    assert list(kongconf.plugin_files(tmp_path)) == ["handler.lua", "schema.lua", "sub/data.lua"]
    directory = CUSTOM_PLUGIN_DIRS["language-router"]
    target = "/usr/local/share/lua/5.1/kong/plugins/language-router/"
    for node in kong_nodes(cached_run(stack)):
        uploads = uploads_of(node)
        for name in ("detect/langdata.lua", "detect/romandata.lua"):
            assert uploads[target + name] == (directory / name).read_text(encoding="utf-8")


def test_missing_plugin_file_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "handler.lua").write_text("return {}")
    with pytest.raises(FileNotFoundError, match=r"schema\.lua"):
        kongconf.plugin_files(tmp_path)


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_ports_and_admin_never_public(stack: str) -> None:
    nodes = kong_nodes(cached_run(stack))
    admin_internal = {naming.KONG_ADMIN, naming.KONG_ADMIN_TLS, naming.KONG_MANAGER, naming.KONG_STATUS}
    seen = set()
    for i, node in enumerate(nodes):
        ports = ports_of(node)
        assert (8000, 8000 + 10 * i, "0.0.0.0") in ports
        assert (8443, 8443 + 10 * i, "0.0.0.0") in ports
        assert (8100, 8100 + 10 * i, "127.0.0.1") in ports
        for internal, external, ip in ports:
            assert ip, "a port without ip is published on 0.0.0.0"
            if internal in admin_internal:
                assert ip == "127.0.0.1"
            assert external not in seen
            seen.add(external)
        admin = [p for p in ports if p[0] in (8001, 8444, 8002)]
        if i == 0 and stack != "prod":
            assert sorted(admin) == [(8001, 8001, "127.0.0.1"), (8002, 8002, "127.0.0.1"), (8444, 8444, "127.0.0.1")]
        else:
            assert admin == []
    for name, container in containers(cached_run(stack)).items():
        if not name.startswith("kong-"):
            assert not container.inputs.get("ports"), name


def test_manager_settings_on_dev_and_off_on_prod() -> None:
    dev = env_of(kong_nodes(cached_run("dev"))[0])
    assert dev["KONG_ADMIN_GUI_LISTEN"] == "0.0.0.0:8002"
    assert dev["KONG_ADMIN_GUI_URL"] == "http://127.0.0.1:8002"
    assert dev["KONG_ADMIN_GUI_API_URL"] == "http://127.0.0.1:8001"
    for node in kong_nodes(cached_run("prod")):
        assert env_of(node)["KONG_ADMIN_GUI_LISTEN"] == "off"


def test_kong_nodes_setting_makes_n_nodes_with_distinct_proxy_ports() -> None:
    run = cached_run("dev", (("kongNodes", "4"),))
    nodes = kong_nodes(run)
    assert len(nodes) == 4
    proxies = [next(ext for internal, ext, _ in ports_of(n) if internal == 8000) for n in nodes]
    assert proxies == [8000, 8010, 8020, 8030]
    assert run.stack_outputs["proxyUrls"] == [f"http://localhost:{p}" for p in proxies]


# --- TLS ------------------------------------------------------------------------------------------------

def test_dev_self_signed_certificate() -> None:
    run = cached_run("dev")
    assert run.of_type("tls:index/privateKey:PrivateKey")[0].inputs["algorithm"] == "ECDSA"
    cert = run.of_type("tls:index/selfSignedCert:SelfSignedCert")[0]
    assert "server_auth" in cert.inputs["allowedUses"] and cert.inputs["dnsNames"] == ["localhost"]
    assert isinstance(cert.inputs["privateKeyPem"], Secret)
    uploads = uploads_of(kong_nodes(run)[0])
    assert "self-signed-platform-proxy-tls-cert" in uploads["/kong/tls/proxy.crt"]
    assert isinstance(uploads["/kong/tls/proxy.key"], Secret)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_certificate_from_config(stack: str) -> None:
    run = cached_run(stack)
    assert not run.of_type("tls:index/privateKey:PrivateKey")
    for node in kong_nodes(run):
        uploads = uploads_of(node)
        assert uploads["/kong/tls/proxy.crt"] == TEST_CERT
        assert uploads["/kong/tls/proxy.key"] == Secret(TEST_KEY)


def test_staging_without_certificate_fails_clearly(caplog: pytest.LogCaptureFixture) -> None:
    config, _ = stack_config("staging")
    del config["ai4v-gateway:tlsCertificate"], config["ai4v-gateway:tlsPrivateKey"]
    with pytest.raises(pulumi.RunError, match="1 problem"):
        run_main("staging", config, [])
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "Pulumi.staging.yaml: config.ai4v-gateway:tlsCertificate: no TLS certificate for the proxy: "
        "`scripts/pulumi.sh config set -s staging ai4v-gateway:tlsCertificate < cert.pem` and `scripts/pulumi.sh "
        "config set -s staging --secret ai4v-gateway:tlsPrivateKey < key.pem`, or `scripts/pulumi.sh config set -s "
        "staging ai4v-gateway:tlsSelfSigned true` (dev only)"]


# --- prod admin access ------------------------------------------------------------------------------------

def test_prod_provider_uses_the_tunnel_and_depends_on_kong() -> None:
    run = cached_run("prod")
    [provider] = run.of_type("pulumi:providers:kong")
    assert provider.inputs["kongAdminUri"] == PROD_ADMIN_TUNNEL
    assert {"kong-1", "kong-2", "kong-3"} <= dep_names(run, provider)


def test_prod_without_admin_url_fails_with_one_clear_line(caplog: pytest.LogCaptureFixture) -> None:
    config, secret_keys = stack_config("prod")
    del config["ai4v-gateway:kongAdminUrl"]
    with pytest.raises(pulumi.RunError, match="1 problem"):
        run_main("prod", config, secret_keys)
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line.startswith("Pulumi.prod.yaml: config.ai4v-gateway:kongAdminUrl: ai4v-gateway:publishAdmin is false "
                           "and ai4v-gateway:kongAdminUrl is not set")
    msg = ports.admin_unreachable_error(StackSettings(publishAdmin=False))
    assert msg is not None and "\n" not in msg


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_provider_waits_for_healthy_kong(stack: str) -> None:
    run = cached_run(stack)
    [provider] = run.of_type("pulumi:providers:kong")
    assert provider.inputs["kongAdminUri"] == "http://127.0.0.1:8001"
    assert {role(n.name) for n in kong_nodes(run)} <= dep_names(run, provider)


# --- demo backends ------------------------------------------------------------------------------------

def test_demo_backends_on_dev_one_per_target_host() -> None:
    run = cached_run("dev")
    spec = load_spec(ROOT / "stacks", "dev")
    hosts = {t.target.split(":")[0]: int(t.target.split(":")[1]) for u in spec.upstreams.values() for t in u.targets}
    echoes = {n: c for n, c in containers(run).items() if n.startswith("echo-")}
    assert len(echoes) == len(hosts)
    for host, port in hosts.items():
        echo = echoes["echo-" + host]
        assert echo.inputs["image"] == "mendhak/http-https-echo:36"
        assert echo.inputs["networksAdvanced"][0]["aliases"] == [host]
        assert env_of(echo)["HTTP_PORT"] == str(port)
        assert echo.inputs["restart"] == "unless-stopped"
    for ai in ("asr", "asr-en", "tts", "tts-dravidian", "tts-misc", "nmt", "pipeline"):
        assert len(spec.upstreams[ai].targets) == 2
    assert {f"echo-{h}" for h in hosts} <= dep_names(run, kong_nodes(run)[0])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_no_demo_backends_on_staging_and_prod(stack: str) -> None:
    assert not [n for n in containers(cached_run(stack)) if n.startswith("echo-")]


def test_demo_backend_rules() -> None:
    spec = load_spec(ROOT / "stacks", "dev")
    found = backends.demo_backends(spec)
    assert [b.host for b in found] == sorted(b.host for b in found)
    asr = next(b for b in found if b.host == "asr-service")
    assert asr.port == 8087 and asr.upstreams == ("asr",)


# --- dbless ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_dbless_has_no_database_and_uploads_the_rendered_config(stack: str) -> None:
    run = cached_run(stack, DBLESS)
    names = set(containers(run))
    assert "postgres" not in names and "migrations" not in names
    assert not run.of_type("docker:index/volume:Volume")
    assert not [r for r in run.resources if r.type.startswith("kong:") or r.type == "pulumi:providers:kong"]
    for node in kong_nodes(run):
        env = env_of(node)
        assert env["KONG_DATABASE"] == "off"
        assert env["KONG_DECLARATIVE_CONFIG"] == "/kong/declarative/kong.yml"
        assert "KONG_PG_PASSWORD" not in env
        content = uploads_of(node)["/kong/declarative/kong.yml"]
        assert isinstance(content, Secret)
        doc = yaml.safe_load(content.value)
        assert doc["_format_version"] == "3.0"
        keys = [c["key"] for cons in doc["consumers"] for c in cons["keyauth_credentials"]]
        assert keys and all(k.startswith("generated-") for k in keys)
        assert labels_of(node)["ai4v.declarative-sha256"] == hashlib.sha256(content.value.encode()).hexdigest()
        assert replaced_on(node, "uploads")
        assert "redis" in dep_names(run, node)


def test_dbless_spec_change_changes_kong_inputs() -> None:
    base = reveal(uploads_of(kong_nodes(cached_run("dev", DBLESS))[0])["/kong/declarative/kong.yml"])
    config, secret_keys = stack_config("dev", mode="dbless", webUserJwtSecret="rotated-jwt-secret-0123")
    secret_keys.append("ai4v-gateway:webUserJwtSecret")
    run = run_main("dev", config, secret_keys)
    node = kong_nodes(run)[0]
    changed = reveal(uploads_of(node)["/kong/declarative/kong.yml"])
    assert changed != base and "rotated-jwt-secret-0123" in changed
    assert labels_of(node)["ai4v.declarative-sha256"] != hashlib.sha256(base.encode()).hexdigest()


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_dbless_upload_has_no_cluster_policy(stack: str) -> None:
    """Kong parses the upload: tests/test_kong_config_parse.py, test_docker_dbless_upload_parses_in_kong."""
    content = uploads_of(kong_nodes(cached_run(stack, DBLESS))[0])["/kong/declarative/kong.yml"]
    doc = yaml.safe_load(reveal(content))
    policies = {p["config"].get("policy") for p in _all_plugins(doc) if p["name"] == "rate-limiting"}
    assert "cluster" not in policies


def _all_plugins(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from doc.get("plugins", [])
    for svc in doc.get("services", []):
        yield from svc.get("plugins", [])
        for route in svc.get("routes", []):
            yield from route.get("plugins", [])
    for cons in doc.get("consumers", []):
        yield from cons.get("plugins", [])


# --- settings and pure logic -----------------------------------------------------------------------------

def test_port_collisions_are_refused() -> None:
    with pytest.raises(ValueError, match="used twice"):
        StackSettings(kongNodes=11)  # node 11's proxy would take the status port 8100


def test_body_size_follows_the_edge_setting() -> None:
    spec = load_spec(ROOT / "stacks", "dev")
    assert spec.edge.max_body_size == 50 << 20
    assert kongconf.max_body_bytes(spec) == 50 << 20
    assert kongconf.nginx_size(50 << 20) == "50m"
    assert kongconf.nginx_size(1536) == "1536" if 1536 % 1024 else True
    assert kongconf.nginx_size(2048) == "2k"


@pytest.mark.parametrize(("max_body", "buffer"), [(50 << 20, "1m"), (512 << 10, "512k"), (1 << 20, "1m")])
def test_body_buffer_is_at_most_1_mib(max_body: int, buffer: str) -> None:
    """Bodies above 1 MiB go to a temporary file that language-router scans in chunks (issue 9)."""
    conf = kongconf.KongNodeConf(mode="db", index=1, edge=Edge(max_body_size=max_body), publish_admin=False,
                                 manager_url=None, admin_api_url=None)
    env = kongconf.kong_env(conf)
    assert env["KONG_NGINX_HTTP_CLIENT_BODY_BUFFER_SIZE"] == buffer
    assert env["KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE"] == kongconf.nginx_size(max_body)


def test_admin_url_default_is_node_one_on_loopback() -> None:
    assert ports.admin_url(StackSettings()) == "http://127.0.0.1:8001"
    assert ports.admin_url(StackSettings(adminPort=9001)) == "http://127.0.0.1:9001"
    assert ports.admin_url(StackSettings(kongAdminUrl="")) == "http://127.0.0.1:8001"
    assert ports.admin_url(StackSettings(publishAdmin=False)) is None


def test_every_container_type_is_covered() -> None:
    run = cached_run("dev")
    roles = {n if not n.startswith(("echo-", "kong-")) else n.split("-")[0] for n in containers(run)}
    assert roles == {"postgres", "redis", "migrations", "migrations-finish", "kong", "echo"}
    assert all(r.type == CONTAINER for r in containers(run).values())
