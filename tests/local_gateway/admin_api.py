"""The real Admin API behind ``provider_replay.KongStore``, so that ``provider_replay.Gateway`` replays
pulumi-kong's calls against a running Kong.

The endpoints are go-kong's (v0.28, which terraform-provider-kong 6.x uses): ``POST /<kind>``,
``PATCH``/``DELETE /<kind>/{id}``; targets under ``/upstreams/{upstream}/targets``; credentials and ACLs
under ``/consumers/{consumer}/key-auth|jwt|acls``. An answer of 400 or more becomes ``KongError`` with the
status first, as the simulation raises it (what fails ``pulumi up``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from provider_replay import ENTITY_KINDS, KongError, canonical

from gateway.kong.adminpatch import FieldsProps, KongFieldsProvider

NESTED_PATH = {"targets": ("upstreams", "upstream", "targets"),
               "keyauth_credentials": ("consumers", "consumer", "key-auth"),
               "jwt_secrets": ("consumers", "consumer", "jwt"),
               "acls": ("consumers", "consumer", "acls")}
LIST_PATH = {"keyauth_credentials": "/key-auths", "jwt_secrets": "/jwts", "acls": "/acls"}
VOLATILE = ("id", "created_at", "updated_at", "cache_key")
"""Differ between two deploys of the same spec."""
DELETE_ORDER = ("plugins", "routes", "services", "upstreams", "consumers")
"""What ``clear`` deletes; Kong cascades targets with upstreams and credentials with consumers."""


class AdminApi:
    """A running Kong's entities, read and written through its Admin API."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        self.paths: dict[str, str] = {}
        """Entity id -> its path, for the nested kinds (PATCH and DELETE need the parent's id)."""

    def _call(self, method: str, path: str, kind: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except json.JSONDecodeError:
                message = response.text
            raise KongError(f"{response.status_code} {kind}: {message}")
        return response.json() if response.content else None

    def _collection(self, kind: str, body: dict[str, Any]) -> str:
        if kind in NESTED_PATH:
            parent_kind, field, endpoint = NESTED_PATH[kind]
            return f"/{parent_kind}/{body[field]['id']}/{endpoint}"
        return f"/{kind}"

    def insert(self, kind: str, body: dict[str, Any]) -> str:
        created = self._call("POST", self._collection(kind, body), kind, body)
        entity_id = str(created["id"])
        self.paths[entity_id] = f"{self._collection(kind, created)}/{entity_id}"
        return entity_id

    def _path(self, kind: str, entity_id: str) -> str:
        return self.paths.get(entity_id, f"/{kind}/{entity_id}")

    def patch(self, kind: str, entity_id: str, body: dict[str, Any]) -> None:
        self._call("PATCH", self._path(kind, entity_id), kind, body)

    def delete(self, kind: str, entity_id: str) -> None:
        self._call("DELETE", self._path(kind, entity_id), kind)

    def all(self, kind: str) -> list[dict[str, Any]]:
        if kind == "targets":
            return [t for u in self.all("upstreams") for t in self._pages(f"/upstreams/{u['id']}/targets", kind)]
        return self._pages(LIST_PATH.get(kind, f"/{kind}"), kind)

    def _pages(self, path: str, kind: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url: str | None = f"{path}?size=1000"
        while url:
            page = self._call("GET", url, kind)
            out += page["data"]
            url = page.get("next")
        return out

    @property
    def entities(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {kind: {str(e["id"]): e for e in self.all(kind)} for kind in ENTITY_KINDS}

    def canonical(self) -> dict[str, list[str]]:
        """As the simulation's, less what differs between two deploys of the same entities (ids, times)."""
        return canonical(self.entities, drop=VOLATILE)

    def apply_fields(self, olds: FieldsProps | None, news: FieldsProps) -> None:
        """``KongFieldsProvider``'s create or update, sent to this Kong (the program's Admin URL may be another
        address of it)."""
        provider, news = KongFieldsProvider(), FieldsProps(**{**news, "admin_url": str(self.client.base_url)})
        if olds is None:
            provider.create(news)
        else:
            provider.update(news["entity_id"], olds, news)

    def clear(self) -> None:
        """Delete every entity (a fresh Kong for the next deploy)."""
        for kind in DELETE_ORDER:
            for entity in self.all(kind):
                self._call("DELETE", f"/{kind}/{entity['id']}", kind)
        self.paths.clear()

    def close(self) -> None:
        self.client.close()
