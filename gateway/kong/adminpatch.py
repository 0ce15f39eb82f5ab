"""``KongFields``: the fields of one Kong entity that pulumi-kong 4.6.3 cannot send, PATCHed through the Admin
API by a Pulumi dynamic resource (DB mode), so DB mode reaches the state DB-less mode loads from ``kong.yml``.

The resource depends on the pulumi-kong entity it patches (its ``entity_id`` input is the entity's id), so it
runs after the entity is created or updated, and is replaced, i.e. PATCHes again, when the entity is replaced.
Kong merges a PATCH into the stored entity, recursing into records (kong/db/schema/init.lua
``Schema:merge_values``), and pulumi-kong's own PATCHes leave these fields out (go-kong ``omitempty``), so
they keep what this resource wrote. Deleting the resource does nothing: it goes when its entity goes (Kong
deletes the entity) or is replaced (the new entity gets a new patch).

The provider is pickled into the state by reference (``gateway.kong.adminpatch.KongFieldsProvider``; the dynamic
provider process runs in the project directory): it uses only the standard library and what its inputs hold.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

TIMEOUT = 30.0
"""Seconds per Admin API request."""


class FieldsProps(TypedDict):
    """The resource's inputs, as the provider receives them."""

    admin_url: str
    """The Admin API the kong provider writes to (its ``kong_admin_uri``)."""
    kind: str
    """``upstreams``, ``plugins`` or ``services``: the entity's Admin API collection."""
    entity_id: str
    fields: dict[str, Any]
    """Kong field path (``healthchecks.threshold``) -> value; ``None`` is Kong's ``null``."""
    after: str
    """What makes the patch go again besides its fields: a digest of what pulumi-kong sends for the entity when
    one of its PATCHes undoes a field of this patch (upstreams, see ``gateway.kong.entities``), else ``""``."""


def nested(fields: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body: ``{"healthchecks.threshold": 25}`` -> ``{"healthchecks": {"threshold": 25}}``."""
    body: dict[str, Any] = {}
    for path, value in fields.items():
        *records, name = path.split(".")
        node = body
        for record in records:
            node = node.setdefault(record, {})
        node[name] = value
    return body


def pick(entity: dict[str, Any], path: str) -> Any:
    """The value at a field path of an entity as Kong returns it (``None`` for null or absent)."""
    node: Any = entity
    for name in path.split("."):
        node = node.get(name) if isinstance(node, dict) else None
    return node


class KongFieldsProvider(ResourceProvider):
    """PATCH ``/{kind}/{entity_id}`` with the fields; Read takes Kong's values of the same fields, so a refresh
    shows drift and the next ``up`` PATCHes again."""

    def _call(self, props: FieldsProps, method: str, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        url = f"{props['admin_url'].rstrip('/')}/{props['kind']}/{props['entity_id']}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            raise RuntimeError(f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')[:500]}") from None

    def _patch(self, props: FieldsProps) -> dict[str, Any]:
        self._call(props, "PATCH", nested(props["fields"]))
        return dict(props)

    def create(self, props: Any) -> CreateResult:
        return CreateResult(props["entity_id"], self._patch(props))

    def update(self, _id: str, _olds: Any, news: Any) -> UpdateResult:
        return UpdateResult(self._patch(news))

    def diff(self, _id: str, olds: Any, news: Any) -> DiffResult:
        """Another entity (it was replaced): replace, i.e. PATCH the new one. Other fields, another Admin URL,
        or a new ``after``: update. ``olds`` are the last outputs, so after a refresh they are Kong's values."""
        replaces = [key for key in ("kind", "entity_id") if olds.get(key) != news.get(key)]
        changed = [key for key in ("admin_url", "fields", "after") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(replaces or changed), replaces=replaces, delete_before_replace=False)

    def read(self, id_: str, props: Any) -> ReadResult:
        entity = self._call(props, "GET")
        if entity is None:  # the entity is gone: so is its patch (an empty id drops the resource from state)
            return ReadResult("", {})
        return ReadResult(id_, {**props, "fields": {path: pick(entity, path) for path in props["fields"]}})

    def delete(self, _id: str, _props: Any) -> None:
        """Nothing: the patched entity is deleted or replaced along with this resource."""


class KongFields(Resource, module="ai4v", name="KongFields"):
    """The fields of one entity that pulumi-kong cannot send (``FieldsProps``)."""

    def __init__(self, name: str, *, admin_url: pulumi.Input[str], kind: str, entity: pulumi.CustomResource,
                 fields: dict[str, Any], after: str = "", opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"admin_url": admin_url, "kind": kind, "entity_id": entity.id, "fields": fields, "after": after}
        opts = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(depends_on=[entity]), opts)
        super().__init__(KongFieldsProvider(), name, props, opts)
