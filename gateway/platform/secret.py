"""One typed way to mark a value secret (``Output.secret``'s stubs infer ``Never`` for an ``Output[str]``)."""

from __future__ import annotations

from typing import Any, cast

import pulumi


def secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return cast(pulumi.Output[str], pulumi.Output.secret(cast(Any, value)))
