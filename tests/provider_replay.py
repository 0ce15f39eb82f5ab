"""What ``pulumi up`` sends to Kong's Admin API through pulumi-kong 4.6.3, replayed against a real Kong
(``KongStore``: tests/local_gateway/admin_api.py, on Kong 3.9.3 with Postgres).

What the provider sends is terraform-provider-kong's (kevholditch, go-kong v0.28):
- ``create*RequestFromResourceData`` read most fields with ``GetOk``, so ``""``, ``0`` and empty lists are
  "not set", and go-kong drops nil fields (``omitempty``); booleans use ``GetOkExists`` and are sent;
  ``readIntWithZeroPtrFromResource`` (service ``retries``) sends 0.
- Consumer Update sends ``username``/``custom_id`` with ``d.Get`` (``""`` when unset); JWT Create/Update
  send ``algorithm``/``key``/``secret``/``rsa_public_key`` with ``d.Get`` (``""`` when unset).
- Every Target field and a Plugin's ``name`` are ``ForceNew``; nothing else is.
- Updates are PATCH (Kong merges it into the stored entity and validates the result like an insert).

The engine side follows Pulumi: same inputs -> nothing; a change to a ForceNew or ``replace_on_changes``
field -> replace (delete first with ``delete_before_replace``, after deleting dependents whose ForceNew
inputs point at it; else create first); other changes -> update; resources gone from the program are
deleted last, dependents first. What Kong answers is Kong's own.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from pulumi_harness import Registration, reveal

from gateway.kong.adminpatch import FieldsProps, KongFieldsProvider, pick

KINDS = {
    "kong:index/service:Service": "services",
    "kong:index/route:Route": "routes",
    "kong:index/upstream:Upstream": "upstreams",
    "kong:index/target:Target": "targets",
    "kong:index/consumer:Consumer": "consumers",
    "kong:index/plugin:Plugin": "plugins",
    "kong:index/consumerKeyAuth:ConsumerKeyAuth": "keyauth_credentials",
    "kong:index/consumerJwtAuth:ConsumerJwtAuth": "jwt_secrets",
    "kong:index/consumerAcl:ConsumerAcl": "acls",
}
FIELDS_TYPE = "pulumi-python:dynamic/ai4v:KongFields"
"""``gateway.kong.adminpatch.KongFields``: replayed through ``KongFieldsProvider``'s diff, and its create/update
against a real Kong (``KongStore.apply_fields``)."""
FORCE_NEW = {"targets": {"target", "weight", "upstreamId", "tags"}, "plugins": {"name"}}
NATURAL_KEY = {"services": "name", "routes": "name", "upstreams": "name", "consumers": "username"}
ENTITY_KINDS = ("services", "routes", "upstreams", "consumers", "targets", "plugins", "keyauth_credentials",
                "jwt_secrets", "acls")
"""The Kong collections the program writes to (``KINDS``' values)."""
FOREIGN_OF = {"routes": "route", "services": "service", "upstreams": "upstream", "consumers": "consumer"}


class KongError(Exception):
    """What the Admin API answers with a 4xx; the provider turns it into a failed ``pulumi up``."""


def _set(value: Any) -> bool:
    """``d.GetOk``: the zero value of a type counts as not set."""
    return value not in (None, "", 0, [], {}) and value is not False


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _healthchecks(value: Any) -> Any:
    if isinstance(value, dict):
        out = {_snake(k): _healthchecks(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if not (k in ("https_sni", "http_statuses") and not _set(v))}
    return value


OK, EXISTS, ALWAYS, GET = "GetOk", "GetOkExists", "always", "d.Get"
Rule = tuple[str, str, Any, str]
"""(Kong field, pulumi input, provider schema default, how the provider reads it)."""
FIELDS: dict[str, list[Rule]] = {
    "services": [
        ("name", "name", None, OK), ("protocol", "protocol", "http", OK), ("host", "host", None, OK),
        ("port", "port", 80, OK), ("path", "path", None, OK), ("retries", "retries", 5, ALWAYS),
        ("connect_timeout", "connectTimeout", 60000, OK), ("write_timeout", "writeTimeout", 60000, OK),
        ("read_timeout", "readTimeout", 60000, OK), ("tls_verify", "tlsVerify", None, EXISTS),
        ("tls_verify_depth", "tlsVerifyDepth", None, OK),
    ],
    "routes": [
        ("name", "name", None, OK), ("protocols", "protocols", None, OK), ("methods", "methods", None, OK),
        ("hosts", "hosts", None, OK), ("paths", "paths", None, OK), ("snis", "snis", None, OK),
        ("regex_priority", "regexPriority", None, OK), ("path_handling", "pathHandling", "v0", OK),
        ("https_redirect_status_code", "httpsRedirectStatusCode", 426, OK),
        ("strip_path", "stripPath", True, EXISTS), ("preserve_host", "preserveHost", None, EXISTS),
        ("request_buffering", "requestBuffering", True, EXISTS),
        ("response_buffering", "responseBuffering", True, EXISTS),
    ],
    "upstreams": [
        ("name", "name", None, OK), ("slots", "slots", 10000, OK), ("hash_on", "hashOn", "none", OK),
        ("hash_fallback", "hashFallback", "none", OK), ("hash_on_header", "hashOnHeader", None, OK),
        ("hash_fallback_header", "hashFallbackHeader", None, OK), ("hash_on_cookie", "hashOnCookie", None, OK),
        ("hash_on_cookie_path", "hashOnCookiePath", "/", OK), ("host_header", "hostHeader", None, OK),
    ],
    "targets": [("target", "target", None, OK), ("weight", "weight", None, OK)],
    "consumers": [("username", "username", None, OK), ("custom_id", "customId", None, OK)],
    "plugins": [("name", "name", None, OK), ("enabled", "enabled", True, EXISTS)],
    "jwt_secrets": [("algorithm", "algorithm", None, GET), ("key", "key", None, GET),
                    ("secret", "secret", None, GET), ("rsa_public_key", "rsaPublicKey", None, GET)],
    "keyauth_credentials": [("key", "key", None, OK)],
    "acls": [("group", "group", None, OK)],
}
UPDATE_RULES = {("consumers", "username"): GET, ("consumers", "custom_id"): GET}
"""``resourceKongConsumerUpdate`` reads these with ``d.Get``, ``resourceKongConsumerCreate`` with GetOk."""
PARENTS = {"serviceId": "service", "routeId": "route", "consumerId": "consumer", "upstreamId": "upstream"}


def provider_body(kind: str, i: dict[str, Any], ids: dict[str, str], *, update: bool) -> dict[str, Any]:
    """The JSON go-kong sends for a resource with plain inputs ``i`` (camelCase) and its parents' Kong ids."""
    body: dict[str, Any] = {}
    for key, inp, default, rule in [*FIELDS[kind], ("tags", "tags", None, OK)]:
        rule = UPDATE_RULES.get((kind, key), rule) if update else rule
        value = i.get(inp, default)
        if rule == GET:
            body[key] = value if value is not None else ""
        elif rule == ALWAYS or (rule == EXISTS and value is not None) or (rule == OK and _set(value)):
            body[key] = value
    if kind == "routes":
        headers = {h["name"]: h["values"] for h in i.get("headers") or []}
        if headers:  # readMapStringArrayFromResource: an empty map, dropped by omitempty
            body["headers"] = headers
    if kind == "upstreams" and i.get("healthchecks"):
        body["healthchecks"] = _healthchecks(i["healthchecks"])
    if kind == "plugins" and _set(i.get("configJson")):
        body["config"] = json.loads(i["configJson"])
    for inp, key in PARENTS.items():
        if inp in ids:
            body[key] = {"id": ids[inp]}
    return body


class KongStore(Protocol):
    """What ``Gateway`` writes to: a real Kong (tests/local_gateway/admin_api.py)."""

    @property
    def entities(self) -> dict[str, dict[str, dict[str, Any]]]: ...

    def insert(self, kind: str, body: dict[str, Any]) -> str: ...

    def patch(self, kind: str, entity_id: str, body: dict[str, Any]) -> None: ...

    def delete(self, kind: str, entity_id: str) -> None: ...

    def canonical(self) -> dict[str, list[str]]: ...

    def apply_fields(self, olds: FieldsProps | None, news: FieldsProps) -> None:
        """A ``KongFields`` create (no ``olds``) or update."""


def canonical(entities: dict[str, dict[str, dict[str, Any]]], drop: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every entity, less the ``drop`` fields, with foreign ids replaced by the parent's name: comparable
    across deploys."""
    names = {k: {i: e[NATURAL_KEY[k]] for i, e in entities[k].items()} for k in NATURAL_KEY}
    out = {}
    for kind, found in entities.items():
        rows = []
        for entity in found.values():
            row = {k: v for k, v in entity.items() if k not in drop}
            for parent_kind, foreign in FOREIGN_OF.items():
                if isinstance(row.get(foreign), dict):
                    row[foreign] = names[parent_kind][row[foreign]["id"]]
            rows.append(json.dumps(row, sort_keys=True))
        out[kind] = sorted(rows)
    return out


FIELDS_KIND = "kong-fields"
"""``Deployed.kind`` of a ``KongFields`` (its ``kong_id`` is the patched entity's)."""


@dataclass
class Deployed:
    kind: str
    kong_id: str
    inputs: dict[str, Any]
    """Plain inputs; references as the referenced resource's URN."""
    ref_ids: dict[str, str]
    """The Kong ids the references had when this was last sent."""
    ignored: list[str] = field(default_factory=list)
    """Its ``ignore_changes`` (pulumi input names): what Read writes there never makes a diff."""


READ_BACK = {
    "routes": ("protocols", "methods", "hosts", "paths", "snis", "regex_priority", "strip_path", "preserve_host",
               "path_handling", "https_redirect_status_code", "request_buffering", "response_buffering"),
    "services": ("protocol", "host", "port", "path", "retries", "connect_timeout", "write_timeout",
                 "read_timeout", "tls_verify", "tls_verify_depth"),
    "upstreams": ("slots", "hash_on", "hash_fallback", "hash_on_header", "hash_fallback_header", "hash_on_cookie",
                  "hash_on_cookie_path", "host_header"),
}
"""Fields each Read writes into state when Kong's value is not nil (``resourceKong*Read``)."""


@dataclass
class Gateway:
    """One stack's Kong and the state pulumi keeps about it."""

    kong: KongStore
    state: dict[str, Deployed] = field(default_factory=dict)

    def up(self, registrations: list[Registration]) -> None:
        by_name = {r.name: r.urn for r in registrations}
        old = dict(self.state)
        new: dict[str, Deployed] = {}

        def create(r: Registration, inputs: dict[str, Any], ids: dict[str, str]) -> None:
            kind = KINDS[r.type]
            kong_id = self.kong.insert(kind, provider_body(kind, inputs, ids, update=False))
            new[r.urn] = Deployed(kind, kong_id, inputs, ids, r.options["ignore_changes"])

        for r in registrations:
            if r.type == FIELDS_TYPE:
                self._fields(r, by_name, old, new)
            if r.type not in KINDS:
                continue
            kind = KINDS[r.type]
            inputs = reveal(r.inputs)
            for key in PARENTS:
                if key in inputs:
                    inputs[key] = by_name[inputs[key].removesuffix("-id")]
            ids = {key: new[inputs[key]].kong_id for key in PARENTS if key in inputs}
            prev = old.get(r.urn)
            if prev is None:
                create(r, inputs, ids)
                continue
            for key in r.options["ignore_changes"]:  # the engine keeps the old input
                inputs[key] = prev.inputs.get(key)
            changed = {k for k in {*prev.inputs, *inputs} if prev.inputs.get(k) != inputs.get(k)}
            changed |= {k for k in ids if prev.ref_ids.get(k) != ids[k]}
            if not changed:
                new[r.urn] = dataclasses.replace(prev, ignored=r.options["ignore_changes"])
                continue
            if changed & (FORCE_NEW.get(kind, set()) | set(r.options["replace_on_changes"])):
                if r.options["delete_before_replace"]:
                    self._delete_force_new_dependents(old, r.urn)
                    self.kong.delete(kind, prev.kong_id)
                    create(r, inputs, ids)
                else:
                    create(r, inputs, ids)
                    self.kong.delete(kind, prev.kong_id)
            else:
                self.kong.patch(kind, prev.kong_id, provider_body(kind, inputs, ids, update=True))
                new[r.urn] = Deployed(kind, prev.kong_id, inputs, ids, r.options["ignore_changes"])
        for urn in reversed(list(old)):
            if urn not in new and old[urn].kind != FIELDS_KIND:  # KongFieldsProvider.delete does nothing
                self.kong.delete(old[urn].kind, old[urn].kong_id)
        self.state = new

    def _fields(self, r: Registration, by_name: dict[str, str], old: dict[str, Deployed],
                new: dict[str, Deployed]) -> None:
        """The engine's steps for a ``KongFields``: create when new, else the provider's diff decides (a replace
        is a create: its delete does nothing). Its entity is registered (and deployed) before it."""
        inputs = reveal(r.inputs)
        entity = new[by_name[inputs["entity_id"].removesuffix("-id")]]
        props = FieldsProps(admin_url=inputs["admin_url"], kind=inputs["kind"], entity_id=entity.kong_id,
                            fields=inputs["fields"], after=inputs["after"])
        prev = old.get(r.urn)
        olds = FieldsProps(**prev.inputs) if prev is not None else None  # type: ignore[typeddict-item]
        diff = KongFieldsProvider().diff(olds["entity_id"], olds, props) if olds is not None else None
        if diff is None or diff.replaces:
            self.kong.apply_fields(None, props)
        elif diff.changes:
            self.kong.apply_fields(olds, props)
        new[r.urn] = Deployed(FIELDS_KIND, entity.kong_id, dict(props), {})

    def _delete_force_new_dependents(self, old: dict[str, Deployed], urn: str) -> None:
        for dep_urn, dep in list(old.items()):
            if any(dep.inputs.get(k) == urn for k in FORCE_NEW.get(dep.kind, set()) & set(PARENTS)):
                self.kong.delete(dep.kind, dep.kong_id)
                del old[dep_urn]

    def preview_diffs(self) -> list[str]:
        """Fields where Read would put Kong's value into state and the next preview would show a change."""
        diffs = []
        entities = self.kong.entities  # one read (a real Kong answers it with a request per kind)
        for urn, deployed in self.state.items():
            if deployed.kind == FIELDS_KIND:  # KongFieldsProvider.read: Kong's values of its fields, then diff
                stored = entities[deployed.inputs["kind"]].get(deployed.kong_id, {})
                diffs += [f"{urn.rsplit('::', 1)[1]}.{path}: Kong has {pick(stored, path)!r}"
                          for path, value in deployed.inputs["fields"].items() if pick(stored, path) != value]
                continue
            stored = entities[deployed.kind].get(deployed.kong_id, {})
            sent = provider_body(deployed.kind, deployed.inputs, deployed.ref_ids, update=False)
            inputs = {key: inp for key, inp, _, _ in FIELDS[deployed.kind]}
            for key in READ_BACK.get(deployed.kind, ()):
                if inputs.get(key) in deployed.ignored:
                    continue
                if stored.get(key) is not None and stored.get(key) != sent.get(key) and _set(stored.get(key)):
                    diffs.append(f"{urn.rsplit('::', 1)[1]}.{key}: Kong has {stored[key]!r}")
        return diffs
