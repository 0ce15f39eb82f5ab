"""``Pulumi.<stack>.yaml`` read without the platform settings: its ``ai4v-gateway:*`` keys, and the platform
and mode every command needs.

``explain`` reads only the mode, so it imports this module and not ``gateway.settings`` (whose Docker and
Kubernetes models are about a third of ``explain``'s start-up); ``StackSettings`` builds on ``PlatformMode``,
so both read the same fields with the same rules and errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from gateway.spec.problems import Problem, SpecError

NAMESPACE = "ai4v-gateway"
M = TypeVar("M", bound=BaseModel)


class PlatformMode(BaseModel):
    """Where Kong runs and how it stores its config; the other keys are ignored here."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    platform: Literal["docker", "kubernetes"] = "docker"
    """Where Kong runs: one Docker host, or a Kubernetes cluster (the ``kubernetes`` section)."""
    mode: Literal["db", "dbless"] = "db"
    """Unset or "": the platform's default, ``db`` on Docker and ``dbless`` on Kubernetes."""

    @model_validator(mode="before")
    @classmethod
    def _platform_default_mode(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("mode") in (None, ""):
            return {**data, "mode": "dbless" if data.get("platform") == "kubernetes" else "db"}
        return data


def read_stack_config(root: Path, stack: str) -> dict[str, Any]:
    """The ``ai4v-gateway:*`` entries of ``Pulumi.<stack>.yaml`` without namespace (``{secure: ...}`` kept)."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpecError([Problem(path.name, (), f"invalid YAML: {exc}")]) from None
    config = data.get("config") or {} if isinstance(data, dict) else {}
    return {
        key.removeprefix(f"{NAMESPACE}:"): value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(f"{NAMESPACE}:")
    }


def plain_values(root: Path, stack: str) -> dict[str, Any]:
    """The stack's config keys without the secure ones (never read by settings)."""
    return {key: value for key, value in read_stack_config(root, stack).items() if not isinstance(value, dict)}


def read_platform_mode(root: Path, stack: str) -> PlatformMode:
    """Platform and mode from ``Pulumi.<stack>.yaml`` (missing file: defaults)."""
    return validated(PlatformMode, plain_values(root, stack), f"Pulumi.{stack}.yaml")


def config_key(loc: tuple[int | str, ...], sections: frozenset[str] = frozenset()) -> str:
    """The config key a validation error is about: a section's field errors name the field's flat key; an
    error about a whole section (e.g. two Docker ports alike) names no key, as one about the whole model."""
    if loc and loc[0] in sections:
        return str(loc[1]) if len(loc) > 1 else ""
    return str(loc[0]) if loc else ""


def validated(model: type[M], values: dict[str, Any], file: str, sections: frozenset[str] = frozenset()) -> M:
    """``model`` from config values; every wrong value is one Problem at ``config.ai4v-gateway:<key>`` of
    ``file``."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = config_key(err["loc"], sections)
            problems.append(Problem(file, ("config", f"{NAMESPACE}:{key}" if key else NAMESPACE), err["msg"]))
        raise SpecError(problems) from None
