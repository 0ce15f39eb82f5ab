"""Which plugin instances Kong runs for a request, and in which order (kong/runloop/plugins_iterator.lua).

- Plugins run by handler ``PRIORITY``, high first; equal priorities by name, descending
  (kong/db/dao/plugins.lua ``sort_by_handler_priority``).
- One instance per plugin name, the most specific enabled one: ``gateway.kong.scope`` (``lookup_cfg``), the
  resolver checks, docs and the policy pack use too.
- The consumer is the one authenticated when the iterator reaches that plugin
  (``load_configuration_through_combos`` reads ``ctx.authenticated_consumer``): a consumer-scoped
  instance of a plugin that runs before authentication never applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gateway.kong.scope import Placed, Resolver, route_id, spec_scope
from gateway.spec.models import GatewaySpec, PluginEntry
from gateway.spec.plugins.base import PluginConfig
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
    """Kong's order as a sort key: priority descending, then name descending (a stable inverse; the end of the
    name sorts after every inverted character, so a name comes before its own prefix, as Lua's ``a.name >
    b.name`` puts ``rate-limiting-inline`` before ``rate-limiting``)."""
    return (-(priority or 0), "".join(chr(0x10FFFF - ord(c)) for c in name) + chr(0x10FFFF))


@dataclass(frozen=True)
class PluginIndex:
    """The spec's plugin instances grouped by name, in Kong's run order."""

    by_name: dict[str, list[Instance]]
    order: list[str]
    resolver: Resolver[Instance] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        placed = (Placed(i.name, spec_scope(i.loc), i.entry.enabled, i)
                  for insts in self.by_name.values() for i in insts)
        object.__setattr__(self, "resolver", Resolver(placed))

    @classmethod
    def build(cls, spec: GatewaySpec) -> PluginIndex:
        by_name: dict[str, list[Instance]] = {}
        for inst in instances(spec):
            by_name.setdefault(inst.name, []).append(inst)
        order = sorted(by_name, key=lambda n: sort_key(n, by_name[n][0].priority))
        return cls(by_name, order)

    def lookup(self, name: str, service: str | None, route: str | None, consumer: str | None) -> Instance | None:
        """The instance of ``name`` Kong runs on ``route`` of ``service`` for ``consumer`` (gateway.kong.scope)."""
        return self.resolver.lookup(name, route_id(service, route) if service and route else None, service, consumer)
