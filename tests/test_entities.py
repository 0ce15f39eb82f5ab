"""KongEntities under Pulumi mocks: one resource per spec entity, wired to its parent, secrets kept secret."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from functools import cache

import pulumi
import pulumi_kong as kong
import pytest
from conftest import ROOT, STACKS
from pulumi_harness import Registration, Run, Secret, reveal, run

from gateway.kong import declarative, vault
from gateway.kong.adminpatch import pick
from gateway.kong.entities import (
    PLUGIN_UNSENT,
    SERVICE_UNSENT,
    UPSTREAM_HASHING,
    UPSTREAM_UNSENT,
    KongEntities,
    KongEntitiesArgs,
)
from gateway.platform import kongconf
from gateway.spec import GatewaySpec, load_spec
from gateway.spec.plugins import PLUGIN_CONFIGS
from gateway.stack.secrets import GatewaySecrets, GatewaySecretsArgs

K = "kong:index/"
PROVIDED = {"redisPassword": "provided-redis-password-1234"}


@cache
def deployed(stack: str) -> tuple[GatewaySpec, Run]:
    spec = load_spec(ROOT / "stacks", stack)

    def program() -> None:
        secrets = GatewaySecrets("secrets", GatewaySecretsArgs(names=spec.secret_names(), provided=PROVIDED))
        KongEntities("kong", KongEntitiesArgs(spec=spec, stack=stack, admin_uri="http://127.0.0.1:8001",
                                              secrets=secrets.values))

    return spec, run(program, stack=stack)


def plugins_where(result: Run, **scope: str) -> dict[str, Registration]:
    out = {}
    for plugin in result.of_type(f"{K}plugin:Plugin"):
        keys = {"serviceId", "routeId", "consumerId"}
        if all(plugin.inputs.get(k) == v for k, v in scope.items()) and not (keys - set(scope)) & set(plugin.inputs):
            out[plugin.inputs["name"]] = plugin
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_one_resource_per_spec_entity(stack: str) -> None:
    spec, result = deployed(stack)
    counts = Counter(r.type for r in result.resources)
    consumers = spec.consumers.values()
    assert counts[f"{K}service:Service"] == len(spec.services)
    assert counts[f"{K}route:Route"] == sum(1 for _ in spec.routes())
    assert counts[f"{K}upstream:Upstream"] == len(spec.upstreams)
    assert counts[f"{K}target:Target"] == sum(len(u.targets) for u in spec.upstreams.values())
    assert counts[f"{K}consumer:Consumer"] == len(spec.consumers)
    assert counts[f"{K}consumerKeyAuth:ConsumerKeyAuth"] == sum(len(c.keyauth_credentials) for c in consumers)
    assert counts[f"{K}consumerJwtAuth:ConsumerJwtAuth"] == sum(len(c.jwt_secrets) for c in consumers)
    assert counts[f"{K}consumerAcl:ConsumerAcl"] == sum(len(c.acl_groups) for c in consumers)
    assert counts[f"{K}plugin:Plugin"] == sum(1 for _ in spec.plugin_instances())
    assert counts["pulumi:providers:kong"] == 1


@pytest.mark.parametrize("stack", STACKS)
def test_routes_attach_to_services_and_targets_to_upstreams(stack: str) -> None:
    spec, result = deployed(stack)
    for service_name, route_name, _ in spec.routes():
        route = result.named(f"kong-route-{route_name}")
        service = result.named(f"kong-service-{service_name}")
        assert route.inputs["serviceId"] == f"kong-service-{service_name}-id"
        assert route.parent == service.urn
    for name, upstream in spec.upstreams.items():
        targets = [t for t in result.of_type(f"{K}target:Target") if t.inputs["upstreamId"] == f"kong-upstream-{name}-id"]
        assert sorted(t.inputs["target"] for t in targets) == sorted(t.address for t in upstream.targets)
        assert all(t.parent == result.named(f"kong-upstream-{name}").urn for t in targets)
    for name, svc in spec.services.items():
        assert result.named(f"kong-service-{name}").inputs["host"] == svc.upstream


@pytest.mark.parametrize("stack", STACKS)
def test_everything_uses_the_explicit_provider_and_is_tagged(stack: str) -> None:
    _, result = deployed(stack)
    provider = result.of_type("pulumi:providers:kong")[0]
    assert provider.inputs["kongAdminUri"] == "http://127.0.0.1:8001"
    component = result.of_type("ai4v:gateway:KongEntities")[0]
    for resource in result.resources:
        if resource.type.startswith(K):
            assert resource.provider.startswith(provider.urn), resource.name
            assert {"managed-by:ai4v-gateway", f"stack:{stack}"} <= set(resource.inputs["tags"]), resource.name
    assert provider.parent == component.urn


@pytest.mark.parametrize("stack", STACKS)
def test_every_non_public_route_has_auth_in_scope(stack: str) -> None:
    spec, result = deployed(stack)
    global_plugins = plugins_where(result)
    for service_name, route_name, _ in spec.routes():
        in_scope = {**global_plugins, **plugins_where(result, serviceId=f"kong-service-{service_name}-id"),
                    **plugins_where(result, routeId=f"kong-route-{route_name}-id")}
        if service_name == "auth":
            assert not {"key-auth", "jwt"} & set(in_scope)
        else:
            assert {"key-auth", "jwt", "acl"} <= set(in_scope), route_name


@pytest.mark.parametrize("stack", STACKS)
def test_rate_limit_configs_match_the_table(stack: str) -> None:
    _, result = deployed(stack)
    table = {"auth": (200, 2000), "asr": (100, 1000), "tts": (100, 1000), "nmt": (150, 1500), "pipeline": (50, 500)}
    for service in result.of_type(f"{K}service:Service"):
        name = service.inputs["name"]
        in_service = plugins_where(result, serviceId=f"kong-service-{name}-id")
        assert "rate-limiting" not in in_service  # the gateway counts with its own plugin (docs/RATE_LIMITING.md)
        config = json.loads(reveal(in_service["rate-limiting-inline"].inputs["configJson"]))
        assert (config["minute"], config["hour"]) == table.get(name, (200, 2000))
        assert config["policy"] == ("local" if stack == "dev" else "redis")
        if name != "auth":
            assert (config["limit_by"], config["header_name"]) == ("header", "X-Client-Identity")
    assert not {"rate-limiting", "rate-limiting-inline"} & set(plugins_where(result))  # the flood guard is nginx's
    guard = json.loads(reveal(plugins_where(result)["identity-guard"].inputs["configJson"]))
    assert guard["identity_header"] == "X-Client-Identity" and guard["reject_anonymous"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_credentials_and_secret_configs_are_secret(stack: str) -> None:
    _, result = deployed(stack)
    for cred in result.of_type(f"{K}consumerKeyAuth:ConsumerKeyAuth"):
        assert isinstance(cred.inputs["key"], Secret)
    for jwt in result.of_type(f"{K}consumerJwtAuth:ConsumerJwtAuth"):
        assert isinstance(jwt.inputs["secret"], Secret)
        assert jwt.inputs["key"] == "ai4v-web" and jwt.inputs["algorithm"] == "HS256"
    for plugin in result.of_type(f"{K}plugin:Plugin"):
        # Read copies Kong's config into the non-secret computed_config: only vault references go there.
        config = plugin.inputs["configJson"]
        assert isinstance(config, str) and PROVIDED["redisPassword"] not in config
        redis = json.loads(config).get("redis")
        if redis and redis["host"] and stack != "dev":
            assert redis["password"] == "{vault://env/ai4v-secret-redis-password}"


@pytest.mark.parametrize("stack", STACKS)
def test_our_plugins_config_json_passes_its_model(stack: str) -> None:
    """Offline: our own plugins' configJson is valid for their typed models, which tests/test_plugin_schemas.py
    checks against schema.lua (Kong itself accepts every plugin's in tests/test_day2_updates.py,
    test_each_stack_deploys_and_a_second_up_changes_nothing)."""
    spec, result = deployed(stack)
    # a referenceable field holds Kong's vault reference where the spec holds {secret: name} (gateway/kong/vault.py)
    spec_form = {json.dumps(vault.reference(n)): json.dumps({"secret": n}) for n in vault.plugin_secret_names(spec)}
    for plugin in result.of_type(f"{K}plugin:Plugin"):
        name, text = plugin.inputs["name"], reveal(plugin.inputs["configJson"])
        for reference, secret in spec_form.items():
            text = text.replace(reference, secret)
        if name in kongconf.CUSTOM_PLUGINS:
            PLUGIN_CONFIGS[name].model_validate(json.loads(text))


def test_missing_secret_value_is_a_clear_error() -> None:
    spec = load_spec(ROOT / "stacks", "dev")
    with pytest.raises(ValueError, match="no value for secret"):
        run(lambda: KongEntities("kong", KongEntitiesArgs(
            spec=spec, stack="dev", admin_uri="http://127.0.0.1:8001", secrets={})))


def test_provided_secret_wins_over_generated() -> None:
    def program() -> None:
        secrets = GatewaySecrets("secrets", GatewaySecretsArgs(
            names={"a", "b"}, provided={"a": "from-config-aaaaaaaaaaaa", "b": None}))
        pulumi.export("a", secrets.values["a"])
        pulumi.export("b", secrets.values["b"])

    result = run(program)
    assert result.stack_outputs["a"] == Secret("from-config-aaaaaaaaaaaa")
    assert isinstance(result.stack_outputs["b"], Secret) and result.stack_outputs["b"].value.startswith("generated-b")
    (password,) = result.of_type("random:index/randomPassword:RandomPassword")
    assert password.name == "b" and password.inputs["length"] == 40 and password.inputs["special"] is False


UNSENT = {f"{K}upstream:Upstream": ("upstreams", UPSTREAM_UNSENT), f"{K}service:Service": ("services", SERVICE_UNSENT),
          f"{K}plugin:Plugin": ("plugins", PLUGIN_UNSENT)}
ARGS: dict[str, type] = {"upstreams": kong.UpstreamArgs, "services": kong.ServiceArgs, "plugins": kong.PluginArgs,
        "healthchecks": kong.UpstreamHealthchecksArgs, "active": kong.UpstreamHealthchecksActiveArgs}
"""pulumi-kong's argument classes, by Kong collection or record name."""


def _pulumi_kong_can_send(kind: str, path: str) -> bool:
    """Every step of the field path is an argument of pulumi-kong's classes (a record's args nest)."""
    args = ARGS[kind]
    for step in path.split("."):
        if step not in inspect.signature(args).parameters:
            return False
        args = ARGS.get(step, args)
    return True


@pytest.mark.parametrize("stack", STACKS)
def test_kong_fields_carry_what_pulumi_kong_cannot_send(stack: str) -> None:
    """Issue 22 item 16: each upstream, service and plugin has a KongFields, after it, sent to the kong provider's
    Admin API, with exactly the fields pulumi-kong 4.6.3 has no argument for, valued as kong.yml has them."""
    spec, result = deployed(stack)
    admin = result.of_type("pulumi:providers:kong")[0].inputs["kongAdminUri"]
    fields = {r.parent: r for r in result.of_type("pulumi-python:dynamic/ai4v:KongFields")}
    document = declarative.render(spec, stack)
    declared = {**{f"upstreams/{u['name']}": u for u in document["upstreams"]},
                **{f"services/{s['name']}": s for s in document["services"]}}
    entities = [r for r in result.resources if r.type in UNSENT]
    assert len(fields) == len(entities)
    for entity in entities:
        kind, unsent = UNSENT[entity.type]
        patch = fields[entity.urn]
        assert patch.inputs["admin_url"] == admin and patch.inputs["kind"] == kind
        assert patch.inputs["entity_id"] == f"{entity.name}-id" and entity.urn in patch.dependencies
        assert not [path for path in unsent if _pulumi_kong_can_send(kind, path)]
        unsent = (*unsent, *UPSTREAM_HASHING) if kind == "upstreams" else unsent
        assert sorted(patch.inputs["fields"]) == sorted(unsent)
        if kind != "plugins":
            record = declared[f"{kind}/{entity.inputs['name']}"]
            assert patch.inputs["fields"] == {p: pick(record, p) for p in unsent}, entity.name
    for service_name, route_name, _ in spec.routes():
        route = result.named(f"kong-route-{route_name}")
        assert fields[result.named(f"kong-service-{service_name}").urn].urn in route.dependencies


def test_a_plugin_without_protocols_gets_its_kong_default() -> None:
    """Kong's default ``protocols`` is the plugin schema's (ip-restriction adds tcp and tls); the KongFields send
    it, so that protocols removed from the spec are restored."""
    spec = GatewaySpec.model_validate({"plugins": {
        "ip-restriction": {"config": {"allow": ["10.0.0.0/8"]}},
        "cors": {"protocols": ["https"], "instance_name": "web-cors"}}})
    result = run(lambda: KongEntities("kong", KongEntitiesArgs(spec=spec, stack="dev", admin_uri="http://a:8001",
                                                               secrets={})))
    assert result.named("kong-plugin-global-ip-restriction-fields").inputs["fields"] == {
        "protocols": ["http", "https", "tcp", "tls", "grpc", "grpcs"], "instance_name": None}
    assert result.named("kong-plugin-global-cors-fields").inputs["fields"] == {
        "protocols": ["https"], "instance_name": "web-cors"}


@pytest.mark.parametrize("stack", STACKS)
def test_a_service_waits_for_its_upstreams_targets_and_fields(stack: str) -> None:
    """A service repointed at an upstream made in the same run must not serve before the upstream has its
    targets (503: no peer) and its algorithm: it depends on them, besides the upstream itself."""
    spec, result = deployed(stack)
    checked = 0
    for service in result.of_type("kong:index/service:Service"):
        upstream = spec.services[service.inputs["name"]].upstream
        if not upstream:
            continue
        [resource] = [r for r in result.of_type("kong:index/upstream:Upstream") if r.inputs["name"] == upstream]
        targets = {r.urn for r in result.of_type("kong:index/target:Target") if r.parent == resource.urn}
        fields = {r.urn for r in result.of_type("pulumi-python:dynamic/ai4v:KongFields") if r.parent == resource.urn}
        assert targets and len(fields) == 1, upstream
        assert {resource.urn, *targets, *fields} <= set(service.dependencies), service.name
        checked += 1
    assert checked


@pytest.mark.parametrize("stack", STACKS)
def test_a_plugin_that_names_upstreams_waits_for_their_targets(stack: str) -> None:
    """language-router sends requests to upstreams by name: it waits for each one's targets and KongFields as a
    service does, so a mapping to an upstream made in the same run never meets an upstream without a peer."""
    _, result = deployed(stack)
    upstream_urns = {r.inputs["name"]: r.urn for r in result.of_type("kong:index/upstream:Upstream")}
    ready = {name: {urn, *(r.urn for r in result.resources if r.parent == urn
                           and r.type in ("kong:index/target:Target", "pulumi-python:dynamic/ai4v:KongFields"))}
             for name, urn in upstream_urns.items()}
    checked = 0
    for plugin in result.of_type("kong:index/plugin:Plugin"):
        if plugin.inputs["name"] != "language-router":
            continue
        config = json.loads(plugin.inputs["configJson"])
        named = {m["upstream"] for m in config.get("mappings") or [] if m.get("upstream")}
        named |= {config["fallback_upstream"]} if config.get("fallback_upstream") else set()
        for upstream in named:
            assert ready[upstream] <= set(plugin.dependencies), (plugin.name, upstream)
            checked += 1
    assert checked
