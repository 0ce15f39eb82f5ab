"""Which plugin instance Kong runs for a request, and in which order (kong/runloop/plugins_iterator.lua).

- Plugins run by handler ``PRIORITY``, high first; equal priorities by name, descending
  (kong/db/dao/plugins.lua ``sort_by_handler_priority``).
- One instance per plugin name: ``lookup_cfg`` tries route+service+consumer, route+consumer,
  service+consumer, route+service, consumer, route, service, then global. The spec holds single scopes,
  so this is consumer > route > service > global.
- The consumer is the one authenticated when the iterator reaches that plugin
  (``load_configuration_through_combos`` reads ``ctx.authenticated_consumer``): a consumer-scoped
  instance of a plugin that runs before authentication never applies.
- Disabled instances are not loaded (``should_process_plugin``), so the next scope's instance applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gateway.plugins.base import PluginConfig
from gateway.spec.models import GatewaySpec, PluginEntry
from gateway.spec.problems import Loc, format_loc


@dataclass(frozen=True, eq=False)
class Instance:
    """One configured plugin instance and where it sits (compared by identity)."""

    name: str
    entry: PluginEntry[Any]
    loc: Loc
    kind: str  # global | service | route | consumer
    service: str | None = None
    route: str | None = None
    consumer: str | None = None

    @property
    def config(self) -> PluginConfig:
        config: PluginConfig = self.entry.config
        return config

    @property
    def priority(self) -> int | None:
        value = getattr(type(self.config), "priority", None)
        return value if isinstance(value, int) else None

    @property
    def phases(self) -> frozenset[str]:
        return frozenset(getattr(type(self.config), "phases", frozenset({"access"})))

    @property
    def scope(self) -> str:
        if self.kind == "route":
            return f"route:{self.service}/{self.route}"
        if self.kind == "service":
            return f"service:{self.service}"
        if self.kind == "consumer":
            return f"consumer:{self.consumer}"
        return "global"

    @property
    def spec_path(self) -> str:
        return format_loc((*self.loc, self.name))


def instances(spec: GatewaySpec) -> Iterator[Instance]:
    """Every enabled plugin instance of the spec."""
    for loc, name, entry in spec.plugin_instances():
        if not entry.enabled:
            continue
        if loc[0] == "plugins":
            yield Instance(name, entry, loc, "global")
        elif loc[0] == "consumers":
            yield Instance(name, entry, loc, "consumer", consumer=str(loc[1]))
        elif len(loc) == 3:
            yield Instance(name, entry, loc, "service", service=str(loc[1]))
        else:
            yield Instance(name, entry, loc, "route", service=str(loc[1]), route=str(loc[3]))


def sort_key(name: str, priority: int | None) -> tuple[int, str]:
    """Kong's order as a sort key: priority descending, then name descending (a stable inverse)."""
    return (-(priority or 0), "".join(chr(0x10FFFF - ord(c)) for c in name))


@dataclass(frozen=True)
class PluginIndex:
    """The spec's plugin instances grouped by name, in Kong's run order."""

    by_name: dict[str, list[Instance]]
    order: list[str]

    @classmethod
    def build(cls, spec: GatewaySpec) -> PluginIndex:
        by_name: dict[str, list[Instance]] = {}
        for inst in instances(spec):
            by_name.setdefault(inst.name, []).append(inst)
        order = sorted(by_name, key=lambda n: sort_key(n, by_name[n][0].priority))
        return cls(by_name, order)

    def lookup(self, name: str, service: str | None, route: str | None, consumer: str | None) -> Instance | None:
        """plugins_iterator.lua ``lookup_cfg`` for single-scope instances."""
        found: dict[str, Instance] = {}
        for inst in self.by_name.get(name, ()):
            if inst.kind == "consumer" and inst.consumer == consumer and consumer is not None:
                found["consumer"] = inst
            elif inst.kind == "route" and inst.route == route and inst.service == service and route is not None:
                found["route"] = inst
            elif inst.kind == "service" and inst.service == service and service is not None:
                found["service"] = inst
            elif inst.kind == "global":
                found["global"] = inst
        for kind in ("consumer", "route", "service", "global"):
            if kind in found:
                return found[kind]
        return None
