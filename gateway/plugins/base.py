"""Base class for typed Kong plugin configs."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from gateway.refs import Resolver, SecretRef

DocColumn = Literal["auth", "acl", "limits", "language"]


class KongModel(BaseModel):
    """A Kong schema record: unknown fields rejected, as Kong does."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class PluginConfig(KongModel):
    """The ``config`` record of one Kong plugin."""

    plugin_name: ClassVar[str]
    """Kong's plugin name, e.g. ``rate-limiting``."""
    doc_column: ClassVar[DocColumn | None] = None
    """The column of the generated routes table (``python -m gateway docs``) this plugin fills, if any."""

    def doc_summary(self) -> str:
        """What this instance does, in a few words for that column."""
        return self.plugin_name

    def to_kong(self, resolve_secret: Resolver) -> dict[str, Any]:
        """The JSON object Kong stores, secrets replaced by what ``resolve_secret`` returns."""
        return self.model_dump(mode="json", exclude_none=True, context={"resolve_secret": resolve_secret})

    def secret_names(self) -> set[str]:
        """Names of every secret this config refers to."""
        found: set[str] = set()
        _collect(self, found)
        return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, SecretRef):
        found.add(value.secret)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
