"""Which plugin instance Kong runs: the one resolver for checks, docs, explain and the policy pack.

Kong 3.9.3, kong/runloop/plugins_iterator.lua:

- ``PluginsIterator.new`` loads only instances that ``should_process_plugin`` accepts (``plugin.enabled``,
  a protocol of the subsystem), into ``combos[name][build_compound_key(route_id, service_id, consumer_id)]``.
  A disabled instance is never loaded, so it hides nothing: the next scope's instance applies.
- ``lookup_cfg`` picks, per plugin name, the first key present in this order: route+service+consumer,
  route+consumer, service+consumer, route+service, consumer, route, service, global.
- ``load_configuration_through_combos`` looks up with the request's route, service and the consumer
  authenticated so far (``ctx.authenticated_consumer``); the rewrite phase runs global instances only
  (``get_global_iterator``), before any route is known.

Self-contained (standard library only): the policy pack imports it without the spec's models.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from gateway.spec.models import GatewaySpec, PluginEntry
    from gateway.spec.problems import Loc

T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """Where an instance sits: the ids of Kong's compound key (``build_compound_key``); none is global."""

    route: Hashable | None = None
    service: Hashable | None = None
    consumer: Hashable | None = None


LOOKUP_ORDER: tuple[tuple[bool, bool, bool], ...] = (
    (True, True, True), (True, False, True), (False, True, True), (True, True, False),
    (False, False, True), (True, False, False), (False, True, False), (False, False, False),
)
"""(route, service, consumer) of each key ``lookup_cfg`` tries, most specific first."""


@dataclass(frozen=True)
class Placed(Generic[T]):
    """One configured instance: its plugin name, scope, whether it is enabled, and what the caller keeps."""

    name: str
    scope: Scope
    enabled: bool
    item: T


class Resolver(Generic[T]):
    """Kong's ``combos``: the enabled instances by plugin name and scope, and ``lookup_cfg`` over them."""

    def __init__(self, placed: Iterable[Placed[T]]) -> None:
        self.combos: dict[str, dict[Scope, T]] = {}
        for one in placed:
            if one.enabled:  # should_process_plugin: a disabled instance is not loaded
                self.combos.setdefault(one.name, {})[one.scope] = one.item

    def lookup(self, name: str, route: Hashable | None = None, service: Hashable | None = None,
               consumer: Hashable | None = None) -> T | None:
        """The instance of ``name`` Kong runs for a request on ``route`` of ``service`` by ``consumer``."""
        combos = self.combos.get(name)
        if not combos:
            return None
        for with_route, with_service, with_consumer in LOOKUP_ORDER:
            if (with_route and route is None) or (with_service and service is None) or (
                    with_consumer and consumer is None):
                continue
            key = Scope(route if with_route else None, service if with_service else None,
                        consumer if with_consumer else None)
            if key in combos:
                return combos[key]
        return None

    def effective(self, route: Hashable | None = None, service: Hashable | None = None,
                  consumer: Hashable | None = None) -> dict[str, T]:
        """Every plugin that runs for such a request, with its instance (one per name)."""
        found = {name: self.lookup(name, route, service, consumer) for name in self.combos}
        return {name: item for name, item in found.items() if item is not None}


# --- the spec's instances ---------------------------------------------------------------------------------

SpecInstance = tuple["Loc", "PluginEntry[Any]"]
"""(spec path of the scope, entry): what the spec resolver returns per plugin name."""


def route_id(service: str, route: str) -> tuple[str, str]:
    """A spec route's id: its service and name (the spec path that tells it apart)."""
    return service, route


def spec_scope(loc: Loc) -> Scope:
    """The scope of a spec path from ``GatewaySpec.plugin_instances``: ``("plugins",)``, ``("services", s,
    "plugins")``, ``("services", s, "routes", r, "plugins")`` or ``("consumers", c, "plugins")``. A route's
    instance carries the route only (as kong.yml nests it and gateway.kong.entities sets ``route_id``)."""
    if loc[0] == "consumers":
        return Scope(consumer=str(loc[1]))
    if loc[0] == "services" and len(loc) > 3:
        return Scope(route=route_id(str(loc[1]), str(loc[3])))
    if loc[0] == "services":
        return Scope(service=str(loc[1]))
    return Scope()


def spec_placed(spec: GatewaySpec) -> Iterator[Placed[SpecInstance]]:
    for loc, name, entry in spec.plugin_instances():
        yield Placed(name, spec_scope(loc), entry.enabled, (loc, entry))


class SpecResolver(Resolver[SpecInstance]):
    """The spec's instances, resolved as Kong does. Build one to ask about many routes: one per question is
    quadratic in the spec's size."""

    def __init__(self, spec: GatewaySpec) -> None:
        super().__init__(spec_placed(spec))

    def on_route(self, service: str, route: str, consumer: str | None = None) -> dict[str, SpecInstance]:
        """The instance of each plugin Kong runs on a request to ``route`` of ``service`` (by ``consumer``,
        when authenticated), with the spec path of its scope."""
        return self.effective(route_id(service, route), service, consumer)


def effective_plugins(spec: GatewaySpec, service: str, route: str,
                      consumer: str | None = None) -> dict[str, SpecInstance]:
    """``SpecResolver.on_route`` for a single question."""
    return SpecResolver(spec).on_route(service, route, consumer)
