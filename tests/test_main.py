"""``__main__.py`` under mocks: resources per stack match the spec; exports; Pulumi.yaml agrees with settings."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from platform_helpers import DOCKER_STACKS, STACKS, cached_run
from pulumi_harness import ROOT, Secret
from pydantic import BaseModel

from gateway.platform.docker.settings import DockerSettings
from gateway.platform.kubernetes.settings import KubernetesSettings
from gateway.spec import load_spec
from gateway.stack.settings import SECTIONS, StackSettings

EXPORTS = {"mode", "platform", "proxyUrls", "proxyTlsUrls", "adminUrl", "managerUrl", "metricsUrl", "metricsUrls",
           "consumerKeys", "consumerJwtSecrets", "platformPasswords"}


def expected_kong_counts(stack: str) -> Counter[str]:
    spec = load_spec(ROOT / "stacks", stack)
    services = [s for s in spec.services.values() if s.enabled]
    return Counter({
        "kong:index/service:Service": len(services),
        "kong:index/route:Route": sum(len(s.routes) for s in services),
        "kong:index/upstream:Upstream": len(spec.upstreams),
        "kong:index/target:Target": sum(len(u.targets) for u in spec.upstreams.values()),
        "kong:index/consumer:Consumer": len(spec.consumers),
        "kong:index/consumerKeyAuth:ConsumerKeyAuth": sum(len(c.keyauth_credentials) for c in spec.consumers.values()),
        "kong:index/consumerJwtAuth:ConsumerJwtAuth": sum(len(c.jwt_secrets) for c in spec.consumers.values()),
        "kong:index/consumerAcl:ConsumerAcl": sum(len(c.acl_groups) for c in spec.consumers.values()),
        "kong:index/plugin:Plugin": len(list(spec.plugins.entries()))
        + sum(len(list(s.plugins.entries())) + sum(len(list(r.plugins.entries())) for r in s.routes.values())
              for s in services)
        + sum(len(list(c.plugins.entries())) for c in spec.consumers.values()),
    })


@pytest.mark.parametrize("stack", STACKS)
def test_db_mode_creates_every_spec_entity(stack: str) -> None:
    run = cached_run(stack, (("mode", "db"),))
    counts = Counter(r.type for r in run.resources if r.type.startswith("kong:"))
    assert counts == expected_kong_counts(stack)
    [provider] = run.of_type("pulumi:providers:kong")
    provider_urn = provider.urn
    for r in run.resources:
        if r.type.startswith("kong:"):
            assert r.provider.startswith(provider_urn), r.name


@pytest.mark.parametrize("stack", STACKS)
def test_dbless_creates_no_kong_resources(stack: str) -> None:
    run = cached_run(stack, (("mode", "dbless"),))
    assert not [r for r in run.resources if r.type.startswith("kong:") or r.type == "pulumi:providers:kong"]


@pytest.mark.parametrize("stack", DOCKER_STACKS)
@pytest.mark.parametrize("mode", ["db", "dbless"])
def test_exports(stack: str, mode: str) -> None:
    run = cached_run(stack, (("mode", mode),))
    out = run.stack_outputs
    assert set(out) == EXPORTS
    assert out["platform"] == "docker"
    nodes = {"dev": 1, "staging": 2, "prod": 3}[stack]
    assert out["proxyUrls"] == [f"http://localhost:{8000 + 10 * i}" for i in range(nodes)]
    assert out["metricsUrl"] == "http://127.0.0.1:8100/metrics"
    if stack == "prod":
        assert out["managerUrl"] is None
        assert out["adminUrl"] == "http://127.0.0.1:18001"  # the operator's tunnel
    else:
        assert out["adminUrl"] == "http://127.0.0.1:8001"
        assert out["managerUrl"] == "http://127.0.0.1:8002"
    for name in ("consumerKeys", "consumerJwtSecrets", "platformPasswords"):
        assert isinstance(out[name], Secret), name
    spec = load_spec(ROOT / "stacks", stack)
    assert set(out["consumerKeys"].value) == {
        f"{c}/{k}" for c, cons in spec.consumers.items() for k in cons.keyauth_credentials}
    assert ("postgresPassword" in out["platformPasswords"].value) is (mode == "db")


def test_pulumi_yaml_declares_every_setting_with_the_same_default() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    declared = {key.removeprefix("ai4v-gateway:"): value for key, value in project["config"].items()}
    assert set(declared) == set(StackSettings.aliases())
    defaults = StackSettings()
    sections: list[tuple[type[BaseModel], BaseModel, str | None]] = [
        (StackSettings, defaults, None), (DockerSettings, defaults.docker, "docker"),
        (KubernetesSettings, defaults.kubernetes, "kubernetes")]
    for model, default, section in sections:
        for name, field in model.model_fields.items():
            if name in SECTIONS:
                continue  # a section: its keys are checked with its own model
            entry = declared[field.alias or name]
            assert entry.get("description"), name
            assert "default" in entry, name
            parsed = StackSettings.model_validate({field.alias or name: entry["default"]})
            value = getattr(getattr(parsed, section), name) if section else getattr(parsed, name)
            assert value == getattr(default, name), name


@pytest.mark.parametrize("stack", DOCKER_STACKS)
def test_stack_files_validate(stack: str) -> None:
    from gateway.stack.settings import read_stack_settings

    settings = read_stack_settings(ROOT, stack)
    assert settings.mode == "db"
    assert settings.docker.publish_admin is (stack != "prod")
    assert settings.docker.protect_data is (stack == "prod")
    assert settings.docker.demo_backends is (stack == "dev")
