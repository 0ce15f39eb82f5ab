"""``GatewaySecrets``: a value for every secret the spec names, from stack config or generated.

A secret set with ``pulumi config set --secret ai4v-gateway:<name>`` wins; otherwise pulumi-random
makes one, kept in state (encrypted) so it is stable across runs. Every value is a secret Output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_random as random

from gateway.spec.refs import Resolver

GENERATED_LENGTH = 40


def secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """``Output.secret`` with its type kept (the SDK's stubs infer ``Never`` for an ``Output[str]``)."""
    return cast(pulumi.Output[str], pulumi.Output.secret(cast(Any, value)))


def resolved_text(names: set[str], values: Mapping[str, pulumi.Output[str]],
                  build: Callable[[Resolver], str]) -> pulumi.Output[str]:
    """Text built with the plain values of ``names`` (for config_json, kong.yml), as a secret Output."""
    ordered = sorted(names)

    def with_values(plain: list[str]) -> str:
        return build(dict(zip(ordered, plain, strict=True)).__getitem__)

    return secret(pulumi.Output.all(*(values[n] for n in ordered)).apply(with_values))


def env_assignments(names: set[str], values: Mapping[str, pulumi.Output[str]],
                    variable: Callable[[str], str]) -> list[pulumi.Input[str]]:
    """``VARIABLE=value`` per name, each a secret Output (for a container's environment)."""
    return [_assignment(variable(name), values[name]) for name in sorted(names)]


def _assignment(var: str, value: pulumi.Output[str]) -> pulumi.Output[str]:
    return secret(value.apply(lambda plain: f"{var}={plain}"))


@dataclass
class GatewaySecretsArgs:
    names: set[str]
    provided: Mapping[str, pulumi.Input[str] | None]
    """Values from stack config, by name; a missing or None value is generated."""


class GatewaySecrets(pulumi.ComponentResource):
    values: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GatewaySecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai4v:gateway:GatewaySecrets", name, None, pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="ai4v:gateway:Secrets")])))
        self.values = {}
        self.generated: list[str] = []
        for key in sorted(args.names):
            given = args.provided.get(key)
            if given is not None:
                self.values[key] = secret(given)
                continue
            password = random.RandomPassword(
                key,
                length=GENERATED_LENGTH,
                special=False,  # keys travel in headers and URLs; keep them unescaped
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.values[key] = secret(password.result)
            self.generated.append(key)
        self.register_outputs({"generated": self.generated})
