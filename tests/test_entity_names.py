"""Pulumi conventions of the Kong entities: names derive from the component, plugins sit under their
service/route/consumer, type tokens are class names, and aliases keep every resource a stack deployed
under the earlier names (``service-auth``, plugins under the component), so upgrading replaces nothing."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from conftest import STACKS
from pulumi_harness import Registration, Run, run
from test_entities import K, deployed

from gateway.kong.entities import KongEntities, KongEntitiesArgs
from gateway.spec import GatewaySpec

PROJECT = "ai4v-gateway"


def urn_types(urn: str) -> str:
    """``urn:pulumi:<stack>::<project>::<type chain>::<name>`` -> the type chain."""
    return urn.split("::")[2]


def chain(resource: Registration, result: Run) -> str:
    """The type chain the engine puts in a URN: the parents' types, the root stack left out (the mock
    monitor's own URNs leave out the parents)."""
    parent = next((r for r in result.resources if r.urn == resource.parent), None)
    if parent is None or parent.type == "pulumi:pulumi:Stack":
        return resource.type
    return f"{chain(parent, result)}${resource.type}"


def alias_urns(resource: Registration, result: Run, stack: str) -> set[str]:
    """The URNs the engine matches for the resource's aliases (an unset part is the resource's own)."""
    out = set()
    for alias in resource.options["aliases"]:
        spec: dict[str, Any] = alias["spec"]
        own_type = spec.get("type") or resource.type
        if spec.get("parentUrn"):  # built by the SDK (create_urn / a resource's URN): a real URN
            parent = next((r for r in result.resources if r.urn == spec["parentUrn"]), None)
            parent_chain = chain(parent, result) if parent else urn_types(spec["parentUrn"])
            types = f"{parent_chain}${own_type}"
        else:  # the resource's own parent
            parents = chain(resource, result).rpartition("$")[0]
            types = f"{parents}${own_type}" if parents else own_type
        out.add(f"urn:pulumi:{stack}::{PROJECT}::{types}::{spec.get('name') or resource.name}")
    return out


def earlier_urn(resource: Registration, result: Run, stack: str) -> str:
    """Where the resource was before: name without the component prefix; plugins directly under it."""
    component = next(r for r in result.resources if r.type == "ai4v:gateway:KongEntities")
    if resource.type == f"{K}plugin:Plugin":
        types = f"{chain(component, result)}${resource.type}"
    else:
        types = chain(resource, result)
    name = resource.name.removeprefix(f"{component.name}-")
    return f"urn:pulumi:{stack}::{PROJECT}::{types}::{name}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_kong_resource_keeps_its_earlier_urn(stack: str) -> None:
    _, result = deployed(stack)
    kong_resources = [r for r in result.resources if r.type.startswith(K)]
    assert kong_resources
    for resource in kong_resources:
        assert resource.name.startswith("kong-"), resource.name
        assert earlier_urn(resource, result, stack) in alias_urns(resource, result, stack), resource.name


def test_earlier_urns_are_the_ones_deployed_before() -> None:
    _, result = deployed("dev")
    by_name = {r.name: r for r in result.resources}
    entities = "ai4v:gateway:KongEntities"
    expected = {
        "kong-service-auth": f"{entities}$kong:index/service:Service::service-auth",
        "kong-route-auth-v1": f"{entities}$kong:index/service:Service$kong:index/route:Route::route-auth-v1",
        "kong-plugin-service-auth-request-transformer":
            f"{entities}$kong:index/plugin:Plugin::plugin-service-auth-request-transformer",
        "kong-plugin-global-cors": f"{entities}$kong:index/plugin:Plugin::plugin-global-cors",
        "kong-upstream-auth": f"{entities}$kong:index/upstream:Upstream::upstream-auth",
    }
    for name, earlier in expected.items():
        assert f"urn:pulumi:dev::{PROJECT}::{earlier}" in alias_urns(by_name[name], result, "dev")


@pytest.mark.parametrize("stack", STACKS)
def test_plugins_are_parented_under_their_scope(stack: str) -> None:
    _, result = deployed(stack)
    by_urn = {r.urn: r for r in result.resources}
    for plugin in result.of_type(f"{K}plugin:Plugin"):
        parent = by_urn[plugin.parent]
        scope = {k: plugin.inputs[k] for k in ("serviceId", "routeId", "consumerId") if k in plugin.inputs}
        if not scope:
            assert parent.type == "ai4v:gateway:KongEntities", plugin.name
        else:
            ((_, parent_id),) = scope.items()
            assert parent_id == f"{parent.name}-id", plugin.name


def test_type_tokens_are_class_names() -> None:
    _, result = deployed("dev")
    types = {r.type for r in result.resources if r.type.startswith("ai4v:")}
    assert types == {"ai4v:gateway:KongEntities", "ai4v:gateway:GatewaySecrets"}
    secrets = next(r for r in result.resources if r.type == "ai4v:gateway:GatewaySecrets")
    assert secrets.options["aliases"] == [{"spec": {"type": "ai4v:gateway:Secrets", "parentUrn": ""}}]


def test_depends_on_travels_in_resource_options() -> None:
    """KongEntitiesArgs has no depends_on: the component's own option reaches the Admin API provider."""
    assert "depends_on" not in KongEntitiesArgs.__dataclass_fields__

    def program() -> None:
        gate = pulumi.CustomResource("test:index:Gate", "gate", {})
        KongEntities("kong", KongEntitiesArgs(spec=GatewaySpec(), stack="dev", admin_uri="http://127.0.0.1:8001",
                                              secrets={}), pulumi.ResourceOptions(depends_on=[gate]))

    result = run(program)
    gate = result.named("gate")
    assert gate.urn in result.named("kong-admin").dependencies
