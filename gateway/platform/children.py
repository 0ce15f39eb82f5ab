"""Names and options of ``DockerPlatform``'s children, and the aliases that keep deployed stacks intact.

A child is named ``<component>-<role>`` (``platform-kong-1``), so two platforms in one program cannot
collide. Stacks deployed before had the bare role under the type token ``ai4v:gateway:Platform``; every
child carries an alias to that URN, and the component one to each old type (``ai4v:gateway:Platform``, then
``ai4v:gateway:KongPlatform`` until issue 24), so the renames replace nothing.
The Docker object names (``naming.resource_name``) do not change either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

PLATFORM_TYPE = "ai4v:gateway:DockerPlatform"
LEGACY_PLATFORM_TYPE = "ai4v:gateway:Platform"
LEGACY_PLATFORM_TYPES = ("ai4v:gateway:KongPlatform", LEGACY_PLATFORM_TYPE)
"""The component's former type tokens, newest first."""


def legacy_urn(component: str) -> str:
    """The component's URN as deployed under ``LEGACY_PLATFORM_TYPE`` (a top-level resource)."""
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{LEGACY_PLATFORM_TYPE}::{component}"


@dataclass(frozen=True)
class Children:
    component: str
    parent: pulumi.Resource

    def name(self, role: str) -> str:
        return f"{self.component}-{role}"

    def opts(self, role: str, **options: Any) -> pulumi.ResourceOptions:
        """``parent`` and the alias to the child's former URN, plus ``options`` (depends_on, protect...)."""
        alias = pulumi.Alias(name=role, parent=legacy_urn(self.component))
        return pulumi.ResourceOptions(parent=self.parent, aliases=[alias], **options)
