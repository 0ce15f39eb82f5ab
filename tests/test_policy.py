"""The policy pack (policy/): each rule refuses a bad resource and accepts a good one; the program passes them all.

The rules are pure functions (policy/ai4v_rules.py); the pulumi-policy wrappers (policy/ai4v_pack.py) are
driven here with the SDK's own argument objects and (de)serialisation, without the policy server.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ai4v_pack
import ai4v_rules as rules
import pytest
import yaml
from ai4v_rules import Resource, Secret
from google.protobuf import json_format, struct_pb2
from platform_helpers import STACKS, cached_run
from pulumi_harness import ROOT, Registration, Run
from pulumi_harness import Secret as HarnessSecret
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties, serialize_properties
from pulumi_policy.proxy import unknown_checking_proxy
from pulumi_policy.secret import Secret as PolicySecret

from gateway.platform import naming
from gateway.spec import load_spec
from gateway.spec.fields import PUBLIC_TAG

URN = "urn:pulumi:{stack}::ai4v-gateway::{type}::{name}"


def res(type_: str, rname: str, stack: str = "dev", protect: bool = False,
        deps: dict[str, list[str]] | None = None, **props: Any) -> Resource:
    return Resource(type=type_, name=rname, urn=URN.format(stack=stack, type=type_, name=rname), props=props,
                    protect=protect, property_dependencies=deps or {})


def kong_node(ports: list[dict[str, Any]], **env: str) -> Resource:
    envs = [f"{k}={v}" for k, v in {"KONG_ADMIN_LISTEN": "0.0.0.0:8001, 0.0.0.0:8444 ssl",
                                     "KONG_ADMIN_GUI_LISTEN": "0.0.0.0:8002", **env}.items()]
    return res(rules.CONTAINER, "kong-1", image="kong:3.9.1", envs=envs, ports=ports)


# 1. admin-loopback-only

def test_admin_on_loopback_passes() -> None:
    node = kong_node([{"internal": 8000, "external": 8000, "ip": "0.0.0.0"},
                      {"internal": 8001, "external": 8001, "ip": "127.0.0.1"},
                      {"internal": 8002, "external": 8002, "ip": "::1"}])
    assert rules.admin_published(node) == []


@pytest.mark.parametrize("port", [{"internal": 8001, "external": 8001, "ip": "0.0.0.0"},
                                  {"internal": 8444, "external": 9444, "ip": "10.0.0.5"},
                                  {"internal": 8002, "external": 8002}])
def test_admin_or_manager_published_elsewhere_fails(port: dict[str, Any]) -> None:
    [problem] = rules.admin_published(kong_node([port]))
    assert f"port {port['internal']} is published on" in problem and "loopback" in problem


def test_admin_port_follows_kong_listen_setting() -> None:
    moved = kong_node([{"internal": 9001, "external": 9001, "ip": "0.0.0.0"}], KONG_ADMIN_LISTEN="0.0.0.0:9001")
    assert rules.admin_published(moved) != []
    off = kong_node([{"internal": 8001, "external": 8001, "ip": "0.0.0.0"}], KONG_ADMIN_LISTEN="off")
    assert rules.admin_published(off) == []  # no Admin API on 8001 any more


def test_host_network_admin_must_listen_on_loopback() -> None:
    bad = res(rules.CONTAINER, "kong", image="kong:3.9.1", networkMode="host",
              envs=["KONG_ADMIN_LISTEN=0.0.0.0:8001", "KONG_ADMIN_GUI_LISTEN=off"])
    good = res(rules.CONTAINER, "kong", image="kong:3.9.1", networkMode="host",
               envs=["KONG_ADMIN_LISTEN=127.0.0.1:8001", "KONG_ADMIN_GUI_LISTEN=off"])
    assert len(rules.admin_published(bad)) == 1 and rules.admin_published(good) == []


# 2. routes-authenticated and 3. services-rate-limited

def service(name: str, tags: list[str] | None = None) -> Resource:
    return res(rules.KONG_SERVICE, f"service-{name}", name=name, tags=tags or [])


def route(name: str, svc: Resource, tags: list[str] | None = None) -> Resource:
    return res(rules.KONG_ROUTE, f"route-{name}", name=name, serviceId="unknown", tags=tags or [],
               deps={"serviceId": [svc.urn]})


def plugin(name: str, on: Resource | None = None, **extra: Any) -> Resource:
    props: dict[str, Any] = {"name": name, "enabled": True, **extra}
    deps = {}
    if on is not None:
        key = "routeId" if on.type == rules.KONG_ROUTE else "serviceId"
        props[key] = f"{on.name}-id"
        deps[key] = [on.urn]
    return res(rules.KONG_PLUGIN, f"plugin-{name}-{on.name if on else 'global'}", deps=deps, **props)


def test_route_with_auth_in_scope_passes() -> None:
    asr, auth = service("asr"), service("auth", tags=[PUBLIC_TAG])
    a, b, c = route("asr-v1", asr), route("asr", asr), route("auth", auth)
    assert rules.unauthenticated_routes([asr, auth, a, b, c, plugin("key-auth", asr)]) == []
    assert rules.unauthenticated_routes([asr, a, plugin("jwt", a)]) == []
    assert rules.unauthenticated_routes([asr, a, plugin("key-auth")]) == []  # global
    assert rules.unauthenticated_routes([asr, route("open", asr, tags=["public"])]) == []


def test_route_without_auth_fails() -> None:
    asr, other = service("asr"), service("other")
    a, b = route("asr-v1", asr), route("asr-v2", asr)
    problems = rules.unauthenticated_routes([asr, other, a, b, plugin("key-auth", a), plugin("jwt", other),
                                             plugin("rate-limiting", b)])
    assert problems == [problems[0]] and problems[0].startswith("route asr-v2: no auth plugin in scope")
    disabled = plugin("key-auth", asr, enabled=False)
    consumer_only = plugin("jwt", asr, consumerId="c-id")
    assert len(rules.unauthenticated_routes([asr, a, disabled, consumer_only])) == 1


def test_service_with_rate_limit_passes() -> None:
    asr, nmt, tts = service("asr"), service("nmt"), service("tts")
    t1, t2 = route("tts-v1", tts), route("tts", tts)
    resources = [asr, nmt, tts, t1, t2, plugin("rate-limiting", asr), plugin("rate-limiting", nmt),
                 plugin("rate-limiting", t1), plugin("rate-limiting", t2)]
    assert rules.unlimited_services(resources) == []
    assert rules.unlimited_services([asr, nmt, plugin("rate-limiting")]) == []


def test_service_without_rate_limit_fails() -> None:
    asr, tts = service("asr"), service("tts")
    t1, t2 = route("tts-v1", tts), route("tts", tts)
    problems = rules.unlimited_services([asr, tts, t1, t2, plugin("rate-limiting", t1), plugin("key-auth", asr),
                                         plugin("rate-limiting", asr, enabled=False)])
    assert [p.split(":")[0] for p in problems] == ["service asr", "service tts"]


def test_rate_limiting_inline_is_a_rate_limit() -> None:
    """Issue 23 item 2: services-rate-limited accepts the gateway's rate-limiting-inline as it does Kong's
    rate-limiting (every plugin whose model counts requests), and names both in its message."""
    asr, tts = service("asr"), service("tts")
    t1 = route("tts-v1", tts)
    assert rules.unlimited_services([asr, tts, t1, plugin("rate-limiting-inline", asr),
                                     plugin("rate-limiting-inline", t1)]) == []
    [problem] = rules.unlimited_services([asr, plugin("rate-limiting-inline", asr, enabled=False)])
    assert "rate-limiting-inline or rate-limiting plugin on the service" in problem


# 4. no-clear-secrets

@pytest.mark.parametrize(("type_", "props"), [
    (rules.CONTAINER, {"envs": ["POSTGRES_USER=kong", "POSTGRES_PASSWORD=hunter2-hunter2"]}),
    (rules.CONTAINER, {"envs": ["REDISCLI_AUTH=abc123"]}),
    (rules.CONTAINER, {"uploads": [{"file": "/tls/key", "content": "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n"}]}),
    (rules.CONTAINER, {"uploads": [{"file": "/redis.conf", "content": 'requirepass "s3cret"\nsave ""\n'}]}),
    (rules.CONTAINER, {"envs": ["DATABASE_URL=postgres://kong:s3cret@postgres/kong"]}),
    (rules.KEY_AUTH_CREDENTIAL, {"consumerId": "c", "key": "my-api-key-in-clear"}),
    ("kong:index/consumerJwtAuth:ConsumerJwtAuth", {"key": "ai4v-web", "secret": "jwt-signing-secret"}),
    (rules.KONG_PLUGIN, {"name": "rate-limiting", "configJson": '{"redis": {"host": "redis", "password": "pw"}}'}),
])
def test_clear_secret_fails(type_: str, props: dict[str, Any]) -> None:
    [problem] = rules.clear_secrets(res(type_, "r", **props))
    assert "is in clear" in problem


@pytest.mark.parametrize(("type_", "props"), [
    (rules.CONTAINER, {"envs": ["POSTGRES_USER=kong", Secret("POSTGRES_PASSWORD=hunter2-hunter2")]}),
    (rules.CONTAINER, {"uploads": [{"file": "/tls/key", "content": Secret("-----BEGIN PRIVATE KEY-----\nA\n")}]}),
    (rules.KEY_AUTH_CREDENTIAL, {"consumerId": "c", "key": Secret("k")}),
    (rules.KEY_AUTH_CREDENTIAL, {"consumerId": "c", "key": rules.UNKNOWN}),  # generated, not known in preview
    ("kong:index/consumerJwtAuth:ConsumerJwtAuth", {"key": "ai4v-web", "secret": Secret("s"),
                                                    "rsaPublicKey": "unused"}),
    (rules.KONG_PLUGIN, {"name": "rate-limiting", "configJson": Secret('{"redis": {"password": "pw"}}')}),
    (rules.KONG_PLUGIN, {"name": "rate-limiting", "configJson": '{"redis": {"password": "{vault://env/REDIS_PW}"}}'}),
    (rules.KONG_PLUGIN, {"name": "key-auth", "configJson": '{"key_names": ["apikey"], "hide_credentials": true}'}),
])
def test_secret_or_reference_passes(type_: str, props: dict[str, Any]) -> None:
    assert rules.clear_secrets(res(type_, "r", **props)) == []


# 5. postgres-volume-protected

def postgres_with(volume: Resource) -> list[Resource]:
    pg = res(rules.CONTAINER, "postgres", stack=volume.urn.split(":")[2], image="postgres:16.4-alpine",
             volumes=[{"containerPath": "/var/lib/postgresql/data", "volumeName": "pgdata"}])
    return [pg, volume]


def test_protected_postgres_volume_on_prod_passes() -> None:
    assert rules.unprotected_postgres_volumes(postgres_with(res(rules.VOLUME, "v", "prod", True, name="pgdata"))) == []
    assert rules.unprotected_postgres_volumes(postgres_with(res(rules.VOLUME, "v", "dev", False, name="pgdata"))) == []


def test_unprotected_postgres_volume_on_prod_fails() -> None:
    [problem] = rules.unprotected_postgres_volumes(postgres_with(res(rules.VOLUME, "v", "prod", False, name="pgdata")))
    assert problem.startswith("volume pgdata: holds Postgres data on stack prod")


# 6. images-pinned

@pytest.mark.parametrize("image", ["kong:3.9.1", "redis:7.4.2-alpine", "postgres:16.4-alpine",
                                   "mendhak/http-https-echo:36", "registry.example:5000/team/kong:3.9.1",
                                   "kong@sha256:" + "a" * 64, "sha256:" + "b" * 64, "docker.io/library/kong:v3.9.1"])
def test_pinned_image_passes(image: str) -> None:
    assert rules.unpinned_image(image) is None


@pytest.mark.parametrize("image", ["kong", "kong:latest", "kong:3.9", "redis:7.4-alpine", "postgres:16-alpine",
                                   "registry.example:5000/kong:3"])
def test_floating_image_fails(image: str) -> None:
    why = rules.unpinned_image(image)
    assert why is not None and "pin a release" in why


def test_images_rule_reads_containers_and_remote_images() -> None:
    assert rules.unpinned_images(res(rules.REMOTE_IMAGE, "kong-image", name="kong:3.9")) != []
    assert rules.unpinned_images(res(rules.CONTAINER, "kong-1", image="kong:3.9")) != []
    assert rules.unpinned_images(res(rules.CONTAINER, "kong-1", image="kong:3.9.1")) == []


# The pulumi-policy wrappers, fed the way the policy server feeds them.

def wire(props: dict[str, Any], keep_secrets: bool) -> Any:
    """Props through the engine's wire format and the SDK's own deserialisation (Analyze: secrets
    unwrapped; Remediate: kept)."""
    struct = struct_pb2.Struct()
    struct.update(serialize_properties(props))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct), keep_secrets))


def opts(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def policy(name: str) -> Any:
    return next(p for p in ai4v_pack.POLICIES if p.name == name)


def run_resource_policy(name: str, r: Resource) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(r.type, wire(dict(r.props), False), r.urn, r.name, opts(r.protect), None)
    p = policy(name)
    assert isinstance(p, ResourceValidationPolicy)
    p.validate(args, lambda message, urn: reported.append(message))
    return reported


def run_stack_policy(name: str, resources: list[Resource]) -> list[str]:
    by_urn = {r.urn: PolicyResource(r.type, wire(dict(r.props), False), r.urn, r.name, opts(r.protect), None,
                                    None, [], {}) for r in resources}
    for r in resources:
        by_urn[r.urn].property_dependencies = {k: [by_urn[u] for u in v if u in by_urn]
                                               for k, v in r.property_dependencies.items()}
    reported: list[str] = []
    p = policy(name)
    assert isinstance(p, StackValidationPolicy)
    p.validate(StackValidationArgs(list(by_urn.values())), lambda message, urn: reported.append(message))
    return reported


def test_pack_has_the_six_policies() -> None:
    assert [p.name for p in ai4v_pack.POLICIES] == ["admin-loopback-only", "routes-authenticated",
                                                    "services-rate-limited", "no-clear-secrets",
                                                    "postgres-volume-protected", "images-pinned"]


def test_pack_resource_policies_report() -> None:
    assert run_resource_policy("admin-loopback-only", kong_node([{"internal": 8001, "external": 1, "ip": ""}]))
    assert not run_resource_policy("admin-loopback-only", kong_node([{"internal": 8001, "external": 1,
                                                                      "ip": "127.0.0.1"}]))
    assert run_resource_policy("images-pinned", res(rules.REMOTE_IMAGE, "i", name="kong:latest"))
    assert not run_resource_policy("images-pinned", res(rules.REMOTE_IMAGE, "i", name="kong:3.9.1"))


def test_pack_stack_policies_report() -> None:
    asr = service("asr")
    a = route("asr-v1", asr)
    assert run_stack_policy("routes-authenticated", [asr, a]) != []
    assert run_stack_policy("routes-authenticated", [asr, a, plugin("key-auth", asr)]) == []
    assert run_stack_policy("services-rate-limited", [asr, a]) != []
    assert run_stack_policy("services-rate-limited", [asr, a, plugin("rate-limiting", a)]) == []
    volume = res(rules.VOLUME, "v", "prod", False, name="pgdata")
    assert run_stack_policy("postgres-volume-protected", postgres_with(volume)) != []
    volume = res(rules.VOLUME, "v", "prod", True, name="pgdata")
    assert run_stack_policy("postgres-volume-protected", postgres_with(volume)) == []


def test_pack_refuses_clear_secret_where_secrets_are_visible() -> None:
    p = policy("no-clear-secrets")
    assert isinstance(p, ResourceValidationPolicy)

    def remediate(props: dict[str, Any]) -> Any:
        args = ResourceValidationArgs(rules.CONTAINER, wire(props, True), "urn", "postgres", opts(), None)
        return p.remediate(args)

    with pytest.raises(ai4v_pack.ClearSecretError, match="POSTGRES_PASSWORD"):
        remediate({"envs": ["POSTGRES_PASSWORD=hunter2"]})
    assert remediate({"envs": [PolicySecret("POSTGRES_PASSWORD=hunter2")]}) is None


# The program itself passes every rule, on every stack and mode.

def as_policy_resource(r: Registration) -> Resource:
    def convert(value: Any) -> Any:
        if isinstance(value, HarnessSecret):
            return Secret(convert(value.value))
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value
    return Resource(type=r.type, name=r.name, urn=r.urn, props=convert(r.inputs), protect=bool(r.options["protect"]),
                    property_dependencies=r.property_dependencies)


def all_problems(run: Run) -> list[str]:
    resources = [as_policy_resource(r) for r in run.resources]
    problems = [*rules.unauthenticated_routes(resources), *rules.unlimited_services(resources),
                *rules.unprotected_postgres_volumes(resources)]
    for r in resources:
        problems += [*rules.admin_published(r), *rules.clear_secrets(r), *rules.unpinned_images(r)]
    return problems


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("mode", ["db", "dbless"])
def test_every_stack_passes_the_pack(stack: str, mode: str) -> None:
    run = cached_run(stack, (("mode", mode),))
    assert all_problems(run) == []
    if mode == "db":
        assert run.of_type(rules.KONG_ROUTE) and all(r.property_dependencies.get("serviceId")
                                                     for r in run.of_type(rules.KONG_ROUTE))


def test_prod_without_protected_data_is_refused() -> None:
    assert any("is not protected" in p for p in all_problems(cached_run("prod", (("protectData", "false"),))))


def test_dropping_an_auth_plugin_is_refused() -> None:
    resources = [as_policy_resource(r) for r in cached_run("dev").resources]
    [nmt] = [r for r in resources if r.type == rules.KONG_SERVICE and r.props.get("name") == "nmt"]
    without = [r for r in resources if not (r.type == rules.KONG_PLUGIN and r.props.get("name") in ("key-auth", "jwt")
                                            and list(r.property_dependencies.get("serviceId", [])) == [nmt.urn])]
    assert len(without) == len(resources) - 2
    assert {p.split(":")[0] for p in rules.unauthenticated_routes(without)} >= {"route nmt-v1", "route nmt"}


def test_secret_rule_sees_every_secret_the_program_carries() -> None:
    """The same prod run with secrecy stripped: each secret input is found (the rule is not blind)."""
    def strip(value: Any) -> Any:
        if isinstance(value, HarnessSecret):
            return strip(value.value)
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    flagged = {r.name.removeprefix("platform-") for r in cached_run("prod").resources
               if rules.clear_secrets(Resource(r.type, r.name, r.urn, strip(r.inputs)))}
    assert {"postgres", "redis", "migrations", "kong-1"} <= flagged
    credentials = [r for r in cached_run("prod").resources
                   if r.type in (rules.KEY_AUTH_CREDENTIAL, "kong:index/consumerJwtAuth:ConsumerJwtAuth")]
    assert credentials and {r.name for r in credentials} <= flagged
    # Kubernetes: each Secret's content is found once its secrecy is stripped (secretName references are not)
    k8s = [stack for stack in STACKS if stack.startswith("k8s")]
    if k8s:
        flagged = {r.name for r in cached_run(k8s[0]).resources
                   if rules.clear_secrets(Resource(r.type, r.name, r.urn, strip(r.inputs)))}
        assert {"ai4v-gateway-secrets", "kong-proxy-tls", "kong-declarative", "redis-config"} <= flagged
        assert "kong" not in flagged and "redis-statefulset" not in flagged


# The pack served by pulumi-policy's own gRPC server, as `pulumi preview --policy-pack policy` starts it.

@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    server = subprocess.Popen([sys.executable, "-m", "pulumi.policy", "127.0.0.1:1", str(ROOT / "policy")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        assert port.isdigit(), server.stderr.read() if server.stderr else port
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        stub.GetPluginInfo(empty_pb2.Empty(), timeout=20)  # waits until the server answers
        yield stub
        channel.close()
    finally:
        server.kill()
        server.wait()


def request(kind: Any, type_: str, props: dict[str, Any]) -> Any:
    struct = struct_pb2.Struct()
    struct.update(serialize_properties(props))
    return kind(type=type_, properties=struct, urn=URN.format(stack="dev", type=type_, name="r"), name="r")


def test_served_pack_lists_its_policies(analyzer: Any) -> None:
    from google.protobuf import empty_pb2
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=20)
    assert info.name == "ai4v-gateway"
    assert {p.name for p in info.policies} == {p.name for p in ai4v_pack.POLICIES}


def test_served_pack_reports_and_refuses(analyzer: Any) -> None:
    import grpc
    from pulumi.runtime.proto import analyzer_pb2

    bad = analyzer.Analyze(request(analyzer_pb2.AnalyzeRequest, rules.REMOTE_IMAGE, {"name": "kong:latest"}), timeout=20)
    assert [d.policyName for d in bad.diagnostics] == ["images-pinned"]
    good = analyzer.Analyze(request(analyzer_pb2.AnalyzeRequest, rules.REMOTE_IMAGE, {"name": "kong:3.9.1"}), timeout=20)
    assert list(good.diagnostics) == []
    with pytest.raises(grpc.RpcError, match="POSTGRES_PASSWORD"):
        analyzer.Remediate(request(analyzer_pb2.AnalyzeRequest, rules.CONTAINER,
                                   {"envs": ["POSTGRES_PASSWORD=hunter2"]}), timeout=20)
    fine = analyzer.Remediate(request(analyzer_pb2.AnalyzeRequest, rules.CONTAINER,
                                      {"envs": [PolicySecret("POSTGRES_PASSWORD=hunter2")]}), timeout=20)
    assert list(fine.remediations) == []


def test_dbless_kong_yml_is_checked_too() -> None:
    """In DB-less mode the entities live in the kong.yml uploaded to each node: the scope rules read it."""
    run = cached_run("dev", (("mode", "dbless"),))
    resources = [as_policy_resource(r) for r in run.resources]
    spec = load_spec(ROOT / "stacks", "dev", "dbless")
    routes = [e for e in rules.declarative_entities(resources) if e.type == rules.KONG_ROUTE]
    assert sorted(r.name for r in routes) == sorted(name for _, name, _ in spec.routes())

    def tamper(r: Resource) -> Resource:
        uploads = r.props.get("uploads") or []
        if r.type != rules.CONTAINER or not any(u["file"].endswith("kong.yml") for u in uploads):
            return r
        changed = []
        for upload in uploads:
            if upload["file"].endswith("kong.yml"):
                doc = yaml.safe_load(rules.reveal(upload["content"]))
                [nmt] = [s for s in doc["services"] if s["name"] == "nmt"]
                nmt["plugins"] = [p for p in nmt["plugins"] if p["name"] not in ("key-auth", "jwt", *rules.RATE_LIMIT_PLUGINS)]
                upload = {**upload, "content": Secret(yaml.safe_dump(doc))}
            changed.append(upload)
        return Resource(r.type, r.name, r.urn, {**r.props, "uploads": changed}, r.protect)

    tampered = [tamper(r) for r in resources]
    assert {p.split(":")[0] for p in rules.unauthenticated_routes(tampered)} == {
        f"route {name}" for _, name, _ in spec.routes() if name.startswith("nmt")}
    assert [p.split(":")[0] for p in rules.unlimited_services(tampered)] == ["service nmt"]


def test_kubernetes_objects_are_covered() -> None:
    """DB-less on Kubernetes: the kong.yml in the Secret feeds the scope rules; pod images are checked; an
    Admin API Service outside the cluster is refused."""
    k8s = [stack for stack in STACKS if stack.startswith("k8s")]
    if not k8s:
        pytest.skip("no Kubernetes stack in stacks/")
    resources = [as_policy_resource(r) for r in cached_run(k8s[0], (("mode", "dbless"),)).resources]
    entities = rules.declarative_entities(resources)
    assert any(e.type == rules.KONG_ROUTE for e in entities)
    without_auth = [r for r in resources if not (r.type == "kubernetes:core/v1:Secret" and r.name == "kong-declarative")]
    assert not rules.declarative_entities(without_auth)  # the routes came from that Secret
    [deployment] = [r for r in resources if r.type == "kubernetes:apps/v1:Deployment"]
    assert rules.unpinned_images(deployment) == []
    floating = Resource(deployment.type, "kong", deployment.urn, {"spec": {"template": {"spec": {
        "containers": [{"name": "kong", "image": "kong:3.9"}]}}}})
    assert rules.unpinned_images(floating) and "kong" in rules.unpinned_images(floating)[0]
    # the program creates no Service for the Admin API (loopback only); one an operator adds is checked
    assert all(rules.admin_published(r) == [] for r in resources if r.type == rules.K8S_SERVICE)
    [status] = [r for r in resources if r.type == rules.K8S_SERVICE and r.name == "kong-status"]
    ports = [{"name": "admin", "port": port, "targetPort": port} for port in (naming.KONG_ADMIN, naming.KONG_ADMIN_TLS)]
    admin = Resource(status.type, "kong-admin", status.urn, {"spec": {**reveal_dict(status.props["spec"]), "ports": ports}})
    assert rules.admin_published(admin) == []
    exposed = Resource(admin.type, admin.name, admin.urn, {"spec": {**reveal_dict(admin.props["spec"]), "type": "LoadBalancer"}})
    assert [p.split(":")[0] for p in rules.admin_published(exposed)] == ["kong-admin", "kong-admin"]


def reveal_dict(value: Any) -> dict[str, Any]:
    out = rules.reveal(value)
    assert isinstance(out, dict)
    return dict(out)


POLICY_REQUIREMENTS = ROOT / "policy" / "requirements.txt"


def policy_venv() -> Path:
    """A venv built only from policy/requirements.txt, as `make policy-deps` builds policy/venv.

    Cached under build/ by a hash of that file; built in a scratch directory and renamed, so a half-built
    venv is never reused.
    """
    digest = hashlib.sha256(POLICY_REQUIREMENTS.read_bytes()).hexdigest()[:16]
    venv = ROOT / "build" / f"policy-venv-{digest}"
    if (venv / "bin" / "python").exists():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="policy-venv-", dir=venv.parent))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(scratch)], check=True)
        # only `bin/python -m ...` is run from it, which still works after the move (pip's scripts would not)
        subprocess.run([str(scratch / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(POLICY_REQUIREMENTS)], check=True)
        if not venv.exists():
            scratch.rename(venv)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return venv


def test_policy_pack_serves_from_a_venv_of_its_own_requirements() -> None:
    """Issue 26: the pack runs in a venv built only from policy/requirements.txt (PulumiPolicy.yaml's venv).

    Started as Pulumi's Python language host starts a policy pack (RunPlugin in pulumi-language-python:
    `python -u -m pulumi.policy ENGINE PACK_DIR`), it must print the port of its analyzer server, not die on an
    import that only the program's .venv satisfies.
    """
    python = policy_venv() / "bin" / "python"
    pack = ROOT / "policy"
    proc = subprocess.Popen([str(python), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack)], cwd=pack,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port:
            proc.wait(timeout=30)
            assert proc.stderr is not None
            pytest.fail(f"the policy pack exited {proc.returncode} in its own venv:\n{proc.stderr.read()[-2000:]}")
        assert port.isdigit() and int(port) > 0
    finally:
        proc.kill()
        proc.wait(timeout=30)
