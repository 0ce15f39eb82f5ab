"""Per-stack settings: the ``ai4v-gateway:*`` keys of ``Pulumi.<stack>.yaml``.

``__main__.py`` fills this from ``pulumi.Config``; the CLI reads the same keys from the stack file, so
``validate`` and ``render`` see the mode ``pulumi up`` will use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.spec.problems import Problem, SpecError

NAMESPACE = "ai4v-gateway"


class StackSettings(BaseModel):
    """Non-secret settings; secrets never pass through this model."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    mode: Literal["db", "dbless"] = "db"
    kong_image: str = Field("kong:3.9.1", alias="kongImage", min_length=1)
    kong_nodes: Annotated[int, Field(ge=1, le=16)] = Field(1, alias="kongNodes")
    demo_backends: bool = Field(False, alias="demoBackends")
    kong_admin_url: str = Field("http://127.0.0.1:8001", alias="kongAdminUrl", pattern=r"^https?://")

    @classmethod
    def aliases(cls) -> list[str]:
        """The config keys (without namespace) this model reads."""
        return [field.alias or name for name, field in cls.model_fields.items()]


def read_stack_settings(root: Path, stack: str) -> StackSettings:
    """Settings from ``Pulumi.<stack>.yaml`` (missing file: defaults), secure values skipped."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return StackSettings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpecError([Problem(path.name, (), f"invalid YAML: {exc}")]) from None
    config = data.get("config") or {} if isinstance(data, dict) else {}
    values: dict[str, Any] = {
        key.removeprefix(f"{NAMESPACE}:"): value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(f"{NAMESPACE}:") and not isinstance(value, dict)
    }
    try:
        return StackSettings.model_validate(values)
    except ValidationError as exc:
        raise SpecError([
            Problem(path.name, ("config", f"{NAMESPACE}:{err['loc'][0]}"), err["msg"]) for err in exc.errors()
        ]) from None
