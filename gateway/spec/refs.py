"""References to secrets held outside the spec.

A spec never holds a secret value: it names one (``{secret: ai4voiceClientKey}``) and the value comes
from ``pulumi config set --secret ai4v-gateway:<name>`` or is generated. How a reference is written out
depends on who reads the result, so serialisation takes a resolver through pydantic's context.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, model_serializer

SECRET_NAME = r"^[a-z][A-Za-z0-9]*$"

Resolver = Callable[[str], Any]
"""Turns a secret name into what the output should carry in its place."""


def deck_placeholder(name: str) -> str:
    """decK's env template for a secret, e.g. ``ai4voiceClientKey`` -> ``${{ env "DECK_AI4VOICE_CLIENT_KEY" }}``."""
    return '${{ env "' + deck_env_var(name) + '" }}'


def deck_env_var(name: str) -> str:
    return "DECK_" + camel_words(name, "_").upper()


def camel_words(name: str, separator: str) -> str:
    """``redisPassword`` -> ``redis<separator>Password``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", separator, name)


class SecretRef(BaseModel):
    """``{secret: name}``: a Pulumi config key under ``ai4v-gateway:`` holding the value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: str = Field(pattern=SECRET_NAME, description="camelCase config key, e.g. ai4voiceClientKey")

    @model_serializer(mode="plain")
    def _serialise(self, info: SerializationInfo) -> Any:
        context = info.context or {}
        resolve: Resolver | None = context.get("resolve_secret")
        if resolve is None:
            return {"secret": self.secret}
        return resolve(self.secret)
