"""``gateway.kong.adminpatch.KongFieldsProvider`` against a real Kong 3.9.3 in DB mode (tests/real_kong.py): create,
read, diff and update as the Pulumi engine calls them (pulumi/dynamic/__main__.py), and how it is pickled."""

from __future__ import annotations

import base64

import dill
import pytest
from local_gateway.admin_api import AdminApi
from pulumi.dynamic.dynamic import serialize_provider

from gateway.kong.adminpatch import FieldsProps, KongFieldsProvider, nested, pick

FIELDS = {"algorithm": "least-connections", "use_srv_name": True, "healthchecks.threshold": 25,
          "healthchecks.active.headers": {"X-Probe": ["gw"]}}


def test_nested_and_pick_are_inverse() -> None:
    body = nested(FIELDS)
    assert body["healthchecks"] == {"threshold": 25, "active": {"headers": {"X-Probe": ["gw"]}}}
    assert {path: pick(body, path) for path in FIELDS} == FIELDS
    assert pick({"healthchecks": None}, "healthchecks.active.headers") is None


def test_the_provider_is_pickled_by_reference() -> None:
    """The state holds only ``gateway.kong.adminpatch.KongFieldsProvider``'s name: the dynamic provider process
    (run in the project directory, pulumi-resource-pulumi-python) imports it; nothing else is captured."""
    pickled = base64.b64decode(serialize_provider(KongFieldsProvider()))
    assert b"gateway.kong.adminpatch" in pickled and len(pickled) < 100
    assert isinstance(dill.loads(pickled), KongFieldsProvider)


def test_provider_create_read_diff_update_against_kong(real_kong: AdminApi) -> None:
    real_kong.clear()
    upstream = real_kong.insert("upstreams", {"name": "patched", "healthchecks": {"active": {"http_path": "/up"}}})
    props = FieldsProps(admin_url=str(real_kong.client.base_url), kind="upstreams", entity_id=upstream,
                        fields=FIELDS, after="")
    provider = KongFieldsProvider()

    created = provider.create(props)
    stored = real_kong.entities["upstreams"][upstream]
    assert created.id == upstream and {path: pick(stored, path) for path in FIELDS} == FIELDS
    assert stored["healthchecks"]["active"]["http_path"] == "/up"  # a PATCH merges records: the rest stays

    read = provider.read(upstream, dict(props))
    assert read.id == upstream and read.outs == props
    assert provider.diff(upstream, read.outs, props).changes is False

    real_kong.patch("upstreams", upstream, {"hash_on": "none"})  # what every pulumi-kong upstream PATCH sends
    drifted = provider.read(upstream, dict(props))
    assert drifted.outs is not None and drifted.outs["fields"]["algorithm"] == "round-robin"
    diff = provider.diff(upstream, drifted.outs, props)
    assert (diff.changes, diff.replaces) == (True, [])
    provider.update(upstream, drifted.outs, props)
    assert real_kong.entities["upstreams"][upstream]["algorithm"] == "least-connections"

    assert provider.diff(upstream, props, {**props, "entity_id": "another"}).replaces == ["entity_id"]
    assert provider.diff(upstream, props, {**props, "after": "x"}).replaces == []

    with pytest.raises(RuntimeError, match=r"PATCH .*/upstreams/.*: 400 .*algorithm"):
        provider.update(upstream, props, {**props, "fields": {"algorithm": "fastest"}})

    real_kong.delete("upstreams", upstream)
    assert provider.read(upstream, dict(props)).id == ""  # gone with its entity: dropped from the state
