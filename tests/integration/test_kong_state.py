"""What Kong holds for the spec's entities, read from the Admin API: the same in DB mode (pulumi-kong, then the
KongFields of gateway.kong.adminpatch) and in DB-less mode (kong.yml)."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.kong import declarative
from gateway.kong.adminpatch import pick
from gateway.kong.entities import PLUGIN_UNSENT, SERVICE_UNSENT, UPSTREAM_UNSENT
from gateway.spec import GatewaySpec
from integration.live import Settings

SCOPES = {"services": "service", "routes": "route", "consumers": "consumer"}


def _all(admin: httpx.Client, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    url: str | None = f"{path}?size=1000"
    while url:
        page = admin.get(url)
        assert page.status_code == 200, f"GET {url}: {page.status_code}"
        out += page.json()["data"]
        url = page.json().get("next")
    return out


def _plugins(admin: httpx.Client) -> dict[tuple[str, str], dict[str, Any]]:
    """Kong's plugins by (scope, name): scope ``global``, or ``services/<name>`` etc."""
    names = {e["id"]: f"{kind}/{e.get('name') or e.get('username')}" for kind in SCOPES for e in _all(admin, f"/{kind}")}
    found = {}
    for plugin in _all(admin, "/plugins"):
        scope = next((names[plugin[f]["id"]] for f in SCOPES.values() if plugin.get(f)), "global")
        found[scope, plugin["name"]] = plugin
    return found


def test_db_mode_applies_every_field_the_spec_sets(admin: httpx.Client, spec: GatewaySpec, settings: Settings) -> None:
    """Issue 22 item 16: the fields pulumi-kong 4.6.3 cannot send (upstream ``algorithm`` ..., plugin ``protocols``
    and ``instance_name``, service ``enabled``) hold in Kong what kong.yml gives them, in either mode."""
    document = declarative.render(spec, settings.stack)
    for kind, paths, records in (("upstreams", UPSTREAM_UNSENT, document["upstreams"]),
                                 ("services", SERVICE_UNSENT, document["services"])):
        for record in records:
            response = admin.get(f"/{kind}/{record['name']}")
            assert response.status_code == 200, f"{kind}/{record['name']}: {response.status_code}"
            held = {path: pick(response.json(), path) for path in paths}
            assert held == {path: pick(record, path) for path in paths}, f"{kind}/{record['name']} ({settings.mode})"
    plugins = _plugins(admin)
    for location, name, entry in spec.plugin_instances():
        scope = "global" if location == ("plugins",) else f"{location[-3]}/{location[-2]}"
        held = {path: pick(plugins[scope, name], path) for path in PLUGIN_UNSENT}
        # kong.yml leaves unset protocols out: Kong applies the plugin schema's default
        assert held == {"protocols": entry.protocols or list(entry.config.default_protocols),
                        "instance_name": entry.instance_name}, f"{scope} {name} ({settings.mode})"
    assert any(record["algorithm"] == "least-connections" for record in document["upstreams"])  # the base spec's
