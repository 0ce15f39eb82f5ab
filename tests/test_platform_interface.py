"""Both platforms satisfy the interface ``__main__.py`` depends on (gateway.platform.interface)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from platform_helpers import DOCKER_STACKS, K8S_STACKS, stack_config
from pulumi_harness import ROOT, run

from gateway.platform.factory import create_platform
from gateway.platform.interface import GatewayPlatform, Platform, PlatformArgs, PlatformExports
from gateway.spec import load_spec
from gateway.stack.secrets import GatewaySecrets, GatewaySecretsArgs
from gateway.stack.settings import read_stack_settings

CASES = [(DOCKER_STACKS[0], "docker"), (K8S_STACKS[0], "kubernetes")]


def build(stack: str) -> Platform:
    settings = read_stack_settings(ROOT, stack)
    spec = load_spec(ROOT / "stacks", stack, settings.mode)
    from gateway.platform.interface import platform_secret_names

    names = spec.secret_names() | platform_secret_names(settings.mode)
    secrets = GatewaySecrets("secrets", GatewaySecretsArgs(names=names, provided={}))
    key = pulumi.Config().get_secret("tlsPrivateKey")
    return create_platform("platform", PlatformArgs(spec=spec, stack=stack, settings=settings,
                                                    secrets=secrets.values, tls_private_key=key))


@pytest.mark.parametrize(("stack", "platform"), CASES)
def test_both_platforms_satisfy_the_interface(stack: str, platform: str) -> None:
    built: list[Platform] = []
    config, secret_keys = stack_config(stack)
    registered = run(lambda: built.append(build(stack)), stack=stack, config=config, secret_keys=secret_keys)
    [result] = built
    assert isinstance(result.component, GatewayPlatform)
    assert isinstance(result.exports, PlatformExports)
    assert result.component.kong_nodes, "nothing for the Kong entities to wait for"
    waited_for = {type(node).__name__ for node in result.component.kong_nodes}
    assert waited_for == ({"Deployment"} if platform == "kubernetes" else {"Container"})
    kinds = {r.type.split(":")[0] for r in registered.resources}
    assert ("kubernetes" in kinds) is (platform == "kubernetes")
    assert ("docker" in kinds) is (platform == "docker")


def test_an_object_without_the_members_is_not_a_platform() -> None:
    class HalfPlatform:
        admin_url: Any = None

    assert not isinstance(HalfPlatform(), GatewayPlatform)
