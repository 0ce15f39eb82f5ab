"""The one plugin-instance resolver (gateway/kong/scope.py) against Kong 3.9.3's own ``lookup_cfg``
(kong/runloop/plugins_iterator.lua), run by the installed Kong's ``resty``: every set of scopes an instance
can sit at, every request (with or without route, service, consumer)."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest
from local_gateway import kong_install

from gateway.kong.scope import Placed, Resolver, Scope, effective_plugins
from gateway.spec.models import GatewaySpec

KEYS = ["r:s:c", "r::c", ":s:c", "r:s:", "::c", "r::", ":s:", "::"]
"""Kong's compound keys (``build_compound_key``: route:service:consumer), as its own spec
(spec/01-unit/28-plugins-iterator/02-lookup_cfg_spec.lua) writes them."""
QUERIES = list(itertools.product(("r", None), ("s", None), ("c", None)))


def scope_of(key: str) -> Scope:
    route, service, consumer = (part or None for part in key.split(":"))
    return Scope(route, service, consumer)


def kong_lookups(install: kong_install.KongInstall, subsets: list[tuple[str, ...]], folder: Path) -> list[str]:
    """``lookup_cfg(combos, route, service, consumer)`` for every subset and query, one line each."""
    lua = ["local lookup = require('kong.runloop.plugins_iterator').lookup_cfg"]
    for subset in subsets:
        combos = ", ".join(f'["{key}"] = "{key}"' for key in subset)
        for route, service, consumer in QUERIES:
            args = ", ".join(f'"{v}"' if v else "nil" for v in (route, service, consumer))
            lua.append(f"print(lookup({{{combos}}}, {args}) or '-')")
    script = folder / "lookups.lua"
    script.write_text("\n".join(lua) + "\n", encoding="utf-8")
    done = subprocess.run(["resty", str(script)], env=install.command_env(os.environ, {}),
                          cwd=install.lua_dir, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_resolver_picks_what_kongs_lookup_cfg_picks(kong: kong_install.KongInstall, tmp_path: Path) -> None:
    subsets = [subset for n in range(len(KEYS) + 1) for subset in itertools.combinations(KEYS, n)]
    expected = kong_lookups(kong, subsets, tmp_path)
    got = []
    for subset in subsets:
        resolver = Resolver(Placed("p", scope_of(key), True, key) for key in subset)
        got += [resolver.lookup("p", route, service, consumer) or "-" for route, service, consumer in QUERIES]
    assert len(got) == len(expected) == 256 * 8
    differ = [(subset, query, mine, theirs) for (subset, query), mine, theirs
              in zip(itertools.product(subsets, QUERIES), got, expected, strict=True) if mine != theirs]
    assert differ == [], differ[:5]


def test_disabled_instance_hides_nothing() -> None:
    """``should_process_plugin``: a disabled instance is not loaded, so a less specific one applies."""
    spec = GatewaySpec.model_validate({"plugins": {"cors": {"config": {}}}, "services": {"s": {
        "host": "backend", "plugins": {"cors": {"enabled": False, "config": {}}},
        "routes": {"r": {"paths": ["/r"], "plugins": {"cors": {"enabled": False, "config": {}}}}}}}})
    [(loc, _)] = effective_plugins(spec, "s", "r").values()
    assert loc == ("plugins",)
    assert Resolver([Placed("p", Scope(), False, "global")]).lookup("p") is None


@pytest.mark.parametrize("consumer", [None, "alice"])
def test_consumer_instance_wins_only_for_its_consumer(consumer: str | None) -> None:
    spec = GatewaySpec.model_validate({
        "services": {"s": {"host": "backend", "routes": {"r": {"paths": ["/r"], "plugins": {
            "rate-limiting": {"config": {"minute": 5}}}}}}},
        "consumers": {"alice": {"custom_id": "alice", "plugins": {"rate-limiting": {"config": {"minute": 9}}}}},
    })
    [(loc, entry)] = effective_plugins(spec, "s", "r", consumer).values()
    assert (loc[0], entry.config.minute) == (("consumers", 9) if consumer else ("services", 5))
