"""Reading stack files and merging an overlay onto the base, remembering which file set each value.

Merge rules (documented in WRITING_THE_SPEC.md): mappings merge key by key, lists and scalars replace,
and ``null`` removes the entity or field. The origin map lets an error name the file to fix.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gateway.spec.problems import Loc, Problem, SpecError

if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


class _UniqueKeyLoader(_SafeLoader):
    """SafeLoader that refuses duplicate keys, which PyYAML would otherwise drop silently."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (line {mark.line + 1})", mark
            )
        seen.add(key)
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node))


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, display: str, origins: Origins | None = None) -> dict[str, Any]:
    """A stack file as a mapping; syntax errors become one Problem with the line number.

    With ``origins``, every use of a YAML anchor (``*name``) is recorded as moved to the anchor, so a wrong
    value written once in an ``x-*`` block is reported once, there, not at each of its uses.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([Problem(display, (), f"cannot read file: {exc.strerror}")]) from None
    try:
        data: Any = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise SpecError([Problem(display, (), f"invalid YAML at {where}: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(display, (), f"invalid YAML: {exc}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError([Problem(display, (), f"must be a mapping, not {type(data).__name__}")])
    unshared: dict[str, Any] = _unshare(data, (), {}, origins)
    return unshared


def _unshare(value: Any, loc: Loc, seen: dict[int, Loc], origins: Origins | None) -> Any:
    """A copy in which YAML aliases (``*anchor``) no longer share one object, so edits stay local.

    PyYAML gives every alias of an anchor the same object; the first place it appears in document order
    is the anchor itself (``seen``), every later one is a use.
    """
    if isinstance(value, dict | list):
        anchor = seen.get(id(value))
        if anchor is not None:
            if origins is not None:
                origins.moved(loc, anchor)
            origins = None  # inside a use: the anchor's own entries already say where things are
        else:
            seen[id(value)] = loc
    if isinstance(value, dict):
        return {key: _unshare(item, (*loc, key), seen, origins) for key, item in value.items()}
    if isinstance(value, list):
        return [_unshare(item, (*loc, index), seen, origins) for index, item in enumerate(value)]
    return value


def key_line(path: Path, loc: Loc) -> int | None:
    """The 1-based line of the key at ``loc`` in a YAML file (for messages; None if not found)."""
    try:
        node: Any = yaml.compose(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            return None
        match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
        if match is None:
            return None
        line, node = match[0].start_mark.line + 1, match[1]
    return line


class Origins:
    """Which file set which part of the merged document."""

    def __init__(self, base_file: str) -> None:
        self.base_file = base_file
        self._set: dict[Loc, str] = {}
        self._moved: dict[Loc, Loc] = {}
        self.removed: dict[Loc, str] = {}
        """Entities and fields an overlay's ``null`` removed, and the overlay file."""

    def record(self, loc: Loc, file: str, removed: bool = False) -> None:
        self._set[loc] = file
        if removed:
            self.removed[loc] = file
        for moved in [m for m in self._moved if m[: len(loc)] == loc]:
            del self._moved[moved]  # the overlay wrote its own value here: no longer an anchor's

    def moved(self, loc: Loc, source: Loc) -> None:
        """``loc`` holds a value copied from ``source`` (plugin_defaults): report problems there."""
        self._moved[loc] = source

    def locate(self, loc: Loc) -> Loc:
        """Where a value at ``loc`` was written in the stack files: an overlay's own value stays where it is,
        a value that came from an anchor or plugin_defaults goes back there."""
        if any(path[: len(loc)] == loc for path in self._set):
            return loc  # an overlay wrote inside this value: the problem may well be its doing
        for end in range(len(loc), 0, -1):
            if loc[:end] in self._set:
                return loc
            if loc[:end] in self._moved:
                return (*self._moved[loc[:end]], *loc[end:])
        return loc

    def file_for(self, loc: Loc) -> str:
        """The file that set ``loc`` or its nearest parent; else an overlay that changed something inside it."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self._set:
                return self._set[loc[:end]]
        inside = [file for path, file in self._set.items() if path[: len(loc)] == loc]
        return inside[-1] if inside else self.base_file


def merge(base: dict[str, Any], overlay: dict[str, Any], file: str, origins: Origins, loc: Loc = ()) -> dict[str, Any]:
    """Deep-merge ``overlay`` onto a copy of ``base``; ``None`` in the overlay removes the key."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        here = (*loc, key)
        if value is None:
            out.pop(key, None)
            origins.record(here, file, removed=True)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value, file, origins, here)
        else:
            out[key] = copy.deepcopy(value)
            origins.record(here, file)
    return out


def apply_plugin_defaults(doc: dict[str, Any], origins: Origins, known: set[str]) -> list[Problem]:
    """Fold ``plugin_defaults: {<plugin>: {config...}}`` into every instance of that plugin.

    One place sets what all instances share (say, the Redis connection of every rate limit), so an
    overlay can switch a policy for the whole stack in a few lines. Instance settings win.
    """
    defaults = doc.pop("plugin_defaults", None) or {}
    problems: list[Problem] = []
    if not isinstance(defaults, dict):
        where: Loc = ("plugin_defaults",)
        return [Problem(origins.file_for(where), where, "must be a mapping of plugin name to config")]
    for name, config in defaults.items():
        here: Loc = ("plugin_defaults", name)
        if name not in known:
            problems.append(Problem(origins.file_for(here), here, f"unknown plugin; known: {', '.join(sorted(known))}"))
        elif not isinstance(config, dict):
            problems.append(Problem(origins.file_for(here), here, "must be a mapping of config fields"))
    if problems:
        return problems
    for scope_loc, plugins in _plugin_scopes(doc):
        for name, config in defaults.items():
            entry = plugins.get(name)
            if not isinstance(entry, dict):
                continue
            instance = entry.get("config")
            if instance is not None and not isinstance(instance, dict):
                continue  # the model reports the wrong type
            here = (*scope_loc, name, "config")
            entry["config"] = _under(config, instance or {}, here, ("plugin_defaults", name), origins)
    return problems


def _under(default: dict[str, Any], value: dict[str, Any], loc: Loc, default_loc: Loc,
           origins: Origins) -> dict[str, Any]:
    out = copy.deepcopy(value)
    for key, item in default.items():
        if key not in out:
            out[key] = copy.deepcopy(item)
            origins.moved((*loc, key), (*default_loc, key))
        elif isinstance(item, dict) and isinstance(out[key], dict):
            out[key] = _under(item, out[key], (*loc, key), (*default_loc, key), origins)
    return out


def _plugin_scopes(doc: dict[str, Any]) -> list[tuple[Loc, dict[str, Any]]]:
    scopes: list[tuple[Loc, dict[str, Any]]] = []

    def add(loc: Loc, holder: Any) -> None:
        if isinstance(holder, dict) and isinstance(holder.get("plugins"), dict):
            scopes.append(((*loc, "plugins"), holder["plugins"]))

    add((), doc)
    for kind in ("services", "consumers"):
        entities = doc.get(kind)
        if not isinstance(entities, dict):
            continue
        for name, entity in entities.items():
            add((kind, name), entity)
            if kind == "services" and isinstance(entity, dict) and isinstance(entity.get("routes"), dict):
                for route_name, route in entity["routes"].items():
                    add((kind, name, "routes", route_name), route)
    return scopes
