"""Load ``stacks/base.yaml`` + ``stacks/<stack>.yaml`` into a validated, cross-checked GatewaySpec."""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from gateway.spec.checks import cross_check, missing_prefix, warnings
from gateway.spec.models import GatewaySpec
from gateway.spec.overlay import Origins, apply_plugin_defaults, key_line, merge, read_yaml
from gateway.spec.plugins import PLUGIN_CONFIGS
from gateway.spec.problems import Loc, Problem, SpecError, format_loc

Mode = Literal["db", "dbless"]
BASE = "base"
REFERABLE = {"upstreams": "upstream", "consumers": "consumer", "services": "service"}
"""Top-level entity kinds a spec refers to by name, and the word ``checks`` uses for each."""


def available_stacks(stacks_dir: Path) -> list[str]:
    return sorted(p.stem for p in stacks_dir.glob("*.yaml") if p.stem != BASE)


def load_spec(stacks_dir: Path, stack: str | None, mode: Mode = "db",
              warned: list[Problem] | None = None) -> GatewaySpec:
    """The merged spec of ``stack`` (``None``: the base alone). Raises SpecError listing every problem;
    appends what is valid but risky to ``warned`` when given."""
    spec, origins = load_spec_located(stacks_dir, stack, mode)
    if warned is not None:
        warned.extend(_at(origins, loc, message) for loc, message in warnings(spec, stack))
    return spec


def load_spec_located(stacks_dir: Path, stack: str | None, mode: Mode = "db") -> tuple[GatewaySpec, Origins]:
    """``load_spec`` plus which file set each part, for tools that report on the spec (lint)."""
    base_name = f"{stacks_dir.name}/{BASE}.yaml"
    origins = Origins(base_name)
    doc = read_yaml(stacks_dir / f"{BASE}.yaml", base_name, origins)
    if stack is not None:
        overlay_path = stacks_dir / f"{stack}.yaml"
        overlay_name = f"{stacks_dir.name}/{stack}.yaml"
        if stack == BASE or not overlay_path.is_file():
            stacks = ", ".join(available_stacks(stacks_dir)) or "none"
            raise SpecError([Problem(overlay_name, (), f"no stack '{stack}'; stacks: {stacks}")])
        doc = merge(doc, read_yaml(overlay_path, overlay_name, origins), overlay_name, origins)
    doc = {key: value for key, value in doc.items() if not str(key).startswith("x-")}  # YAML anchors
    problems = apply_plugin_defaults(doc, origins, set(PLUGIN_CONFIGS))
    if problems:
        raise SpecError(problems)
    try:
        spec = GatewaySpec.model_validate(doc)
    except ValidationError as exc:
        raise SpecError([_problem(err, origins) for err in exc.errors()]) from None
    problems = [_removed_by_overlay(origins, stacks_dir, loc, message) or _at(origins, loc, message)
                for loc, message in cross_check(spec, mode)]
    if problems:
        raise SpecError(problems)
    return spec, origins


def _removed_by_overlay(origins: Origins, stacks_dir: Path, loc: Loc, message: str) -> Problem | None:
    """A reference to an entity an overlay's ``null`` removed: the mistake is that line, not the reference."""
    for removed, file in origins.removed.items():
        if len(removed) != 2 or removed[0] not in REFERABLE:
            continue
        kind, name = REFERABLE[str(removed[0])], str(removed[1])
        if message.startswith(missing_prefix(kind, name)):
            where = origins.locate(loc)
            line = key_line(stacks_dir / Path(file).name, removed)
            at = f" (line {line})" if line else ""
            return Problem(file, removed, f"null{at} removes {kind} '{name}', but {format_loc(where)} in "
                                          f"{origins.file_for(where)} still refers to it; remove that reference "
                                          "too, or keep the entity")
    return None


def _at(origins: Origins, loc: Loc, message: str) -> Problem:
    where = origins.locate(loc)
    return Problem(origins.file_for(where), where, message)


def _problem(err: ErrorDetails, origins: Origins) -> Problem:
    loc: Loc = tuple(part for part in err["loc"] if part != "[key]")
    message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if err["type"] == "extra_forbidden":
        allowed = _allowed_fields(GatewaySpec, loc[:-1])
        message = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    elif err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] in ("model_type", "dict_type") and "[key]" not in err["loc"]:
        message = f"must be a mapping, not {_type_name(err['input'])}"
    return _at(origins, loc, message)


def _type_name(value: Any) -> str:
    return "a list" if isinstance(value, list) else "null" if value is None else type(value).__name__


def _allowed_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model found at ``loc``, stepping through dict and list values; [] if none."""
    current: Any = model
    for part in loc:
        found = _as_model(current)
        if found is not None:
            field = next((f for name, f in found.model_fields.items() if part in (name, f.alias)), None)
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return []
    found = _as_model(current)
    return sorted(f.alias or name for name, f in found.model_fields.items()) if found else []


def _as_model(annotation: Any) -> type[BaseModel] | None:
    """The model behind ``Model``, ``Model | None`` or ``Annotated[Model, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, UnionType, Annotated):
        for arg in get_args(annotation):
            model = _as_model(arg)
            if model is not None:
                return model
    return None
