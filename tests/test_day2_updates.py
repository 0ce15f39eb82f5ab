"""Second deploys reach Kong exactly: two successive ``pulumi up`` (spec A, then B) leave Kong as a fresh
deploy of B. What pulumi-kong sends is ``provider_replay``'s model of terraform-provider-kong; it is sent to a
real Kong 3.9.3 on Postgres (``real_kong``: tests/real_kong.py; skipped without a Kong), which must end in the
same state."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ROOT, STACKS
from local_gateway.admin_api import AdminApi
from provider_replay import Gateway, KongError, KongStore, provider_body
from pulumi_harness import Registration, run
from test_entities import deployed

from gateway.kong import declarative
from gateway.kong.adminpatch import pick
from gateway.kong.entities import (
    PLUGIN_UNSENT,
    SERVICE_UNSENT,
    UPSTREAM_HASHING,
    UPSTREAM_UNSENT,
    KongEntities,
    KongEntitiesArgs,
)
from gateway.spec import GatewaySpec, SpecError, load_spec
from gateway.stack.secrets import GatewaySecrets, GatewaySecretsArgs

PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApC2gh1tncTav7yRYFf19
2Xx0dFm7Pj4eyBBGWo4YPUM6WKsRzVFusFsluCVeJmGxFFN1e8o9owFO6Bm3qpg4
ZtT8mc/TctOwGsUrO5Jn3HKHmeILTrFvkB/bpjllrjn/nVWdn2UrN0JYafysaKfR
OS8Iqz1mISdWV1aY+crT/d1lJhJkp+heOD08u0K88T+81NWWK3+Vc5b+Qim4Pa/7
xr+y890pFLsUhdiaGlAxm4SeZwNiZAcP4435f+JdpoS59PXcrK35DEbR5Hz+pDmX
tG5a1bBr+0dK1wIYmE4OAvUQMqKzn3iYwIZzI7NiTr6VAxUl2ppZW//iV+W5uTzz
2wIDAQAB
-----END PUBLIC KEY-----
"""
"""A real RSA key: Kong parses ``rsa_public_key`` (a truncated one is a 400 "invalid key")."""
BASE: dict[str, Any] = {
    "upstreams": {
        "echo": {
            "host_header": "echo.internal",
            "targets": [{"target": "echo-a:8080"}, {"target": "echo-b:8080", "weight": 0}],
        },
    },
    "services": {
        "svc": {
            "upstream": "echo",
            "path": "/v1",
            "routes": {
                "r1": {
                    "paths": ["/r1"], "methods": ["GET", "POST"], "hosts": ["api.example"],
                    "headers": {"X-Version": ["2"]}, "regex_priority": 5,
                    "plugins": {"request-size-limiting": {"config": {"allowed_payload_size": 8}}},
                },
            },
            "plugins": {"rate-limiting": {"config": {"minute": 10, "hour": 100, "limit_by": "ip"}}},
        },
    },
    "consumers": {
        "alice": {
            "custom_id": "alice",
            "tags": ["team-a"],
            "acl_groups": ["svc"],
            "keyauth_credentials": {"main": {"key": {"secret": "aliceKey"}}},
            "jwt_secrets": {"rs": {"key": "alice-rs", "algorithm": "RS256", "rsa_public_key": PEM}},
        },
    },
    "plugins": {
        "rate-limiting": {"config": {
            "minute": 1000, "limit_by": "ip", "policy": "redis",
            "redis": {"host": "redis", "username": "kong", "password": {"secret": "redisPassword"}},
        }},
    },
}


def registrations(doc: dict[str, Any]) -> list[Registration]:
    """What the program registers for a spec (a copy: tests may edit the options)."""
    return copy.deepcopy(_registrations(json.dumps(doc, sort_keys=True)))


@functools.cache
def _registrations(doc_json: str) -> list[Registration]:
    spec = GatewaySpec.model_validate(json.loads(doc_json))

    def program() -> None:
        secrets = GatewaySecrets("secrets", GatewaySecretsArgs(names=spec.secret_names(), provided={}))
        KongEntities("kong", KongEntitiesArgs(spec=spec, stack="dev", admin_uri="http://127.0.0.1:8001",
                                              secrets=secrets.values))

    return run(program).resources


NewKong = Callable[[], KongStore]
"""A Kong with no entities: the real one emptied."""


@pytest.fixture
def new_kong(real_kong: AdminApi) -> NewKong:
    real = real_kong

    def emptied() -> KongStore:
        real.clear()
        return real

    return emptied


def deploy(kong: KongStore, *docs: dict[str, Any]) -> Gateway:
    gateway = Gateway(kong=kong)
    for doc in docs:
        gateway.up(registrations(doc))
    return gateway


def changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    edit(doc)
    return doc


def route(doc: dict[str, Any]) -> dict[str, Any]:
    r: dict[str, Any] = doc["services"]["svc"]["routes"]["r1"]
    return r


def one(kong: KongStore, kind: str, **match: Any) -> dict[str, Any]:
    (found,) = [e for e in kong.entities[kind].values() if all(e.get(k) == v for k, v in match.items())]
    return found


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "route methods removed": lambda d: route(d).pop("methods"),
    "route hosts removed": lambda d: route(d).pop("hosts"),
    "route headers removed": lambda d: route(d).pop("headers"),
    "route regex_priority back to 0": lambda d: route(d).pop("regex_priority"),
    "route paths changed": lambda d: route(d).update(paths=["/r1", "/r1b"]),
    "service path removed": lambda d: d["services"]["svc"].pop("path"),
    "upstream host_header removed": lambda d: d["upstreams"]["echo"].pop("host_header"),
    "plugin config key deleted": lambda d: d["services"]["svc"]["plugins"]["rate-limiting"]["config"].pop("hour"),
    "plugin nested config key deleted": lambda d: d["plugins"]["rate-limiting"]["config"]["redis"].pop("username"),
    "route plugin config changed": lambda d: route(d)["plugins"]["request-size-limiting"]["config"].update(
        allowed_payload_size=16),
    "canary weights": lambda d: d["upstreams"]["echo"].update(
        targets=[{"target": "echo-a:8080", "weight": 90}, {"target": "echo-b:8080", "weight": 10}]),
    "target drained to weight 0": lambda d: d["upstreams"]["echo"].update(
        targets=[{"target": "echo-a:8080", "weight": 0}, {"target": "echo-b:8080", "weight": 100}]),
    "consumer tags changed": lambda d: d["consumers"]["alice"].update(tags=["team-b"]),
    "rs256 credential tags changed": lambda d: d["consumers"]["alice"]["jwt_secrets"]["rs"].update(tags=["x"]),
    "upstream least-connections": lambda d: d["upstreams"]["echo"].update(algorithm="least-connections"),
    "health threshold and probe headers": lambda d: d["upstreams"]["echo"].update(
        use_srv_name=True, healthchecks={"threshold": 25, "active": {"headers": {"X-Probe": ["gw"]}}}),
    "plugin protocols and instance_name": lambda d: d["services"]["svc"]["plugins"]["rate-limiting"].update(
        protocols=["https"], instance_name="svc-limit"),
    "service disabled": lambda d: d["services"]["svc"].update(enabled=False),
    "upstream hashes on a query argument": lambda d: d["upstreams"]["echo"].update(
        algorithm="consistent-hashing", hash_on="query_arg", hash_on_query_arg="user", hash_fallback="ip"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_second_deploy_equals_a_fresh_deploy(change: str, new_kong: NewKong) -> None:
    after = changed(CHANGES[change])
    updated = deploy(new_kong(), BASE, after)
    state, diffs = updated.kong.canonical(), updated.preview_diffs()
    assert state == deploy(new_kong(), after).kong.canonical()
    assert diffs == []  # and the next preview is clean (Read writes nothing stale back)


@pytest.mark.parametrize("change", CHANGES)
def test_and_back_again(change: str, new_kong: NewKong) -> None:
    after = changed(CHANGES[change])
    state = deploy(new_kong(), after, BASE).kong.canonical()
    assert state == deploy(new_kong(), BASE).kong.canonical()


def test_removed_matchers_are_gone_from_kong(new_kong: NewKong) -> None:
    def strip(doc: dict[str, Any]) -> None:
        for key in ("methods", "hosts", "headers", "regex_priority"):
            route(doc).pop(key)

    doc = changed(strip)
    kong = deploy(new_kong(), BASE, doc).kong
    r1 = one(kong, "routes", name="r1")
    assert (r1.get("methods"), r1.get("hosts"), r1.get("headers")) == (None,) * 3
    assert r1.get("regex_priority") in (None, 0)  # unset, or Kong's default
    # the route was replaced: its plugin was re-created on the new route, not lost with the old one
    assert one(kong, "plugins", name="request-size-limiting")["route"] == {"id": next(
        i for i, e in kong.entities["routes"].items() if e["name"] == "r1")}


def test_service_without_path_routes_like_kong_default(new_kong: NewKong) -> None:
    """Kong proxies a service without path to ``/`` (kong/router/utils.lua get_service_info)."""
    kong = deploy(new_kong(), BASE, changed(lambda d: d["services"]["svc"].pop("path"))).kong
    assert one(kong, "services", name="svc")["path"] == "/"


def test_deleted_config_key_is_null_in_kong(new_kong: NewKong) -> None:
    kong = deploy(new_kong(), BASE, changed(CHANGES["plugin config key deleted"])).kong
    service_id = next(iter(kong.entities["services"]))
    config = one(kong, "plugins", name="rate-limiting", service={"id": service_id})["config"]
    assert config["hour"] is None and config["minute"] == 10


def test_canary_weights_reach_kong(new_kong: NewKong) -> None:
    def weights(kong: KongStore) -> dict[str, int]:
        return {t["target"]: t.get("weight", 100) for t in kong.entities["targets"].values()}

    canary = changed(CHANGES["canary weights"])
    drained = changed(CHANGES["target drained to weight 0"])
    gateway = deploy(new_kong(), BASE)
    assert weights(gateway.kong) == {"echo-a:8080": 100}  # weight 0: no target, no traffic
    gateway.up(registrations(canary))
    assert weights(gateway.kong) == {"echo-a:8080": 90, "echo-b:8080": 10}
    gateway.up(registrations(drained))
    assert weights(gateway.kong) == {"echo-b:8080": 100}


def test_rs256_credential_is_accepted_by_kong(new_kong: NewKong) -> None:
    kong = deploy(new_kong(), BASE).kong
    jwt = one(kong, "jwt_secrets", key="alice-rs")
    assert jwt["algorithm"] == "RS256" and jwt["rsa_public_key"] == PEM and jwt["secret"]


def test_plugin_secrets_reach_kong_as_vault_references(new_kong: NewKong) -> None:
    kong = deploy(new_kong(), BASE).kong
    glob = one(kong, "plugins", name="rate-limiting", service=None)
    assert glob["config"]["redis"]["password"] == "{vault://env/ai4v-secret-redis-password}"


# --- the simulation catches what the provider gets wrong, so the tests above can fail ------------------

def test_without_replacement_a_removed_method_stays_in_kong(new_kong: NewKong) -> None:
    doc = changed(CHANGES["route methods removed"])
    gateway = deploy(new_kong(), BASE)
    regs = registrations(doc)
    for r in regs:
        r.options["replace_on_changes"] = []
    gateway.up(regs)
    assert one(gateway.kong, "routes", name="r1")["methods"] == ["GET", "POST"]
    assert gateway.preview_diffs() == ["kong-route-r1.methods: Kong has ['GET', 'POST']"]


def test_create_first_target_replacement_is_refused(new_kong: NewKong) -> None:
    gateway = deploy(new_kong(), BASE)
    regs = registrations(changed(CHANGES["canary weights"]))
    for r in regs:
        r.options["delete_before_replace"] = False
    with pytest.raises(KongError, match="409 targets"):
        gateway.up(regs)


def test_provider_sends_empty_strings_kong_refuses(new_kong: NewKong) -> None:
    """Why the program sends a placeholder secret for RS256 and validate wants custom_id (db mode)."""
    body = provider_body("jwt_secrets", {"key": "k", "algorithm": "RS256", "rsaPublicKey": PEM}, {"consumerId": "c"},
                         update=False)
    assert body["secret"] == ""
    consumer = provider_body("consumers", {"username": "bob", "tags": ["t"]}, {}, update=True)
    assert consumer["custom_id"] == ""
    kong = new_kong()
    bob = kong.insert("consumers", {"username": "bob"})
    with pytest.raises(KongError, match=r"custom_id.*length must be at least 1"):
        kong.patch("consumers", bob, consumer)


def test_validate_refuses_a_consumer_without_custom_id_in_db_mode(tmp_path: Any) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "base.yaml").write_text((ROOT / "stacks" / "base.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (stacks / "dev.yaml").write_text("consumers: {bob: {acl_groups: [asr]}}\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(stacks, "dev", "db")
    assert [str(p) for p in caught.value.problems] == [
        'stacks/dev.yaml: consumers.bob.custom_id: required in db mode (pulumi-kong sends custom_id "" when it '
        "updates a consumer without one, which Kong refuses); set a unique id, e.g. custom_id: bob"]
    assert load_spec(stacks, "dev", "dbless").consumers["bob"].custom_id is None


def test_validate_refuses_tls_verify_depth_0_in_db_mode(tmp_path: Any) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "base.yaml").write_text((ROOT / "stacks" / "base.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (stacks / "dev.yaml").write_text("services: {auth: {protocol: https, tls_verify_depth: 0}}\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(stacks, "dev", "db")
    assert [str(p) for p in caught.value.problems] == [
        "stacks/dev.yaml: services.auth.tls_verify_depth: pulumi-kong cannot send 0 (db mode); use 1 to 64, or "
        "leave it unset for nginx's default (1)"]
    assert load_spec(stacks, "dev", "dbless").services["auth"].tls_verify_depth == 0


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_deploys_and_a_second_up_changes_nothing(stack: str, new_kong: NewKong) -> None:
    """Kong accepts every entity the stack sends (its plugin configs, credentials, ...), and the next preview finds
    nothing to change."""
    regs = deployed(stack)[1].resources
    gateway = Gateway(kong=new_kong())
    gateway.up(regs)
    assert gateway.preview_diffs() == []
    before = gateway.kong.canonical()
    gateway.up(regs)
    assert gateway.kong.canonical() == before
    assert sum(len(v) for v in before.values()) == len([r for r in regs if r.type.startswith("kong:index/")])


# --- issue 22 item 16: what pulumi-kong cannot send reaches Kong through gateway.kong.adminpatch ---------------

def _every_field(doc: dict[str, Any]) -> None:
    for change in ("upstream least-connections", "health threshold and probe headers",
                   "plugin protocols and instance_name"):
        CHANGES[change](doc)


EVERY_FIELD = changed(_every_field)
"""BASE with every field pulumi-kong cannot send set away from Kong's default (and a disabled service)."""
EVERY_FIELD["services"]["off"] = {"host": "off.internal", "enabled": False, "routes": {"off": {"paths": ["/off"]}},
                                  "plugins": {"ip-restriction": {"config": {"allow": ["10.0.0.0/8"]}}}}
UNSENT = {"upstreams": (*UPSTREAM_UNSENT, *UPSTREAM_HASHING), "services": SERVICE_UNSENT, "plugins": PLUGIN_UNSENT}


def _post_declared(kong: AdminApi, doc: dict[str, Any]) -> None:
    """The rendered kong.yml's entities, each POSTed as written: Kong fills in its defaults for what the file
    leaves out, as its declarative loader does (both run the schema's insert: kong/db/schema/init.lua
    ``process_auto_fields``)."""
    document = declarative.render(GatewaySpec.model_validate(doc), "dev")
    for up in document["upstreams"]:
        kong.insert("upstreams", {k: v for k, v in up.items() if k != "targets"})
    for plugin in document["plugins"]:
        kong.insert("plugins", plugin)
    for svc in document["services"]:
        service = kong.insert("services", {k: v for k, v in svc.items() if k not in ("routes", "plugins")})
        for plugin in svc["plugins"]:
            kong.insert("plugins", {**plugin, "service": {"id": service}})
        for rt in svc["routes"]:
            route = kong.insert("routes", {**{k: v for k, v in rt.items() if k != "plugins"},
                                           "service": {"id": service}})
            for plugin in rt["plugins"]:
                kong.insert("plugins", {**plugin, "route": {"id": route}})


def _unsent_fields(kong: KongStore) -> dict[str, dict[str, Any]]:
    """Kong's values of the fields pulumi-kong cannot send, per entity (plugins by name and scope)."""
    entities = kong.entities
    names = {i: e["name"] for kind in ("services", "routes") for i, e in entities[kind].items()}

    def key(kind: str, entity: dict[str, Any]) -> str:
        if kind != "plugins":
            return f"{kind}/{entity['name']}"
        scope = next((names[entity[s]["id"]] for s in ("service", "route") if entity.get(s)), "global")
        return f"plugins/{scope}/{entity['name']}"

    return {key(kind, e): {path: pick(e, path) for path in paths}
            for kind, paths in UNSENT.items() for e in entities[kind].values()}


def test_db_mode_applies_every_field_the_spec_sets(real_kong: AdminApi) -> None:
    """Issue 22 item 16: pulumi-kong 4.6.3 has no argument for upstream ``algorithm``, ``use_srv_name``, health
    check ``threshold`` and active ``headers``, plugin ``protocols`` and ``instance_name``, service ``enabled``.
    Deployed in DB mode (the program's registrations replayed against a real Kong, the KongFields through
    their provider), Kong holds for each entity what it makes of the same entity in kong.yml (DB-less)."""
    real_kong.clear()
    _post_declared(real_kong, EVERY_FIELD)
    declared = _unsent_fields(real_kong)
    real_kong.clear()
    deployed_in_db_mode = _unsent_fields(deploy(real_kong, EVERY_FIELD).kong)
    assert deployed_in_db_mode == declared
    assert declared["upstreams/echo"]["algorithm"] == "least-connections"
    assert declared["services/off"] == {"enabled": False}
    assert declared["plugins/svc/rate-limiting"] == {"protocols": ["https"], "instance_name": "svc-limit"}


def test_an_upstream_update_keeps_its_algorithm(new_kong: NewKong) -> None:
    """pulumi-kong's PATCH of an upstream sends ``hash_on: none``, which Kong's shorthand turns into
    ``algorithm: round-robin`` (kong/db/schema/entities/upstreams.lua): the KongFields go again after it."""
    slots = copy.deepcopy(EVERY_FIELD)
    slots["upstreams"]["echo"]["slots"] = 20000
    gateway = deploy(new_kong(), EVERY_FIELD, slots)
    assert one(gateway.kong, "upstreams", name="echo")["algorithm"] == "least-connections"
    assert gateway.preview_diffs() == []
