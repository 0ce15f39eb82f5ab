"""The state of one request while the modelled plugins run: who is authenticated, what goes upstream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.explain.lua_runner import LanguageDecision, LuaCall
from gateway.explain.outcome import BucketOut
from gateway.explain.request import Request
from gateway.spec.models import GatewaySpec

LanguageRun = Callable[[LuaCall], LanguageDecision]


class Headers:
    """Case-insensitive header map that keeps the spelling it was given (like ngx.req headers)."""

    def __init__(self, pairs: tuple[tuple[str, str], ...] = ()) -> None:
        self._items: dict[str, tuple[str, list[str]]] = {}
        for name, value in pairs:
            self.append(name, value)

    def get(self, name: str) -> str | None:
        item = self._items.get(name.lower())
        return item[1][0] if item else None

    def values(self, name: str) -> list[str]:
        item = self._items.get(name.lower())
        return list(item[1]) if item else []

    def set(self, name: str, value: str) -> None:
        self._items[name.lower()] = (name, [value])

    def append(self, name: str, value: str) -> None:
        item = self._items.get(name.lower())
        if item:
            item[1].append(value)
        else:
            self._items[name.lower()] = (name, [value])

    def remove(self, name: str) -> bool:
        return self._items.pop(name.lower(), None) is not None

    def remove_spellings(self, name: str) -> list[str]:
        """Removes ``name`` and every header spelled like it with ``_`` for ``-`` (``X-Client_Identity``),
        as identity-guard and language-router do; the names removed, as sent."""
        wanted = name.lower().replace("_", "-")
        gone = [self._items[key][0] for key in list(self._items) if key.replace("_", "-") == wanted]
        for spelling in gone:
            self.remove(spelling)
        return gone

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._items

    def as_lists(self) -> dict[str, list[str]]:
        return {key: list(values) for key, (_, values) in self._items.items()}

    def as_dict(self) -> dict[str, str]:
        return {name: ", ".join(values) for name, values in sorted(self._items.values(), key=lambda i: i[0].lower())}


@dataclass
class Flow:
    """Mutable while plugins run; ``explain`` turns it into an Outcome."""

    spec: GatewaySpec
    request: Request
    service: str
    route: str
    language_run: LanguageRun
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Headers
    upstream_host: str
    captures: dict[str, str] = field(default_factory=dict)
    """The route's ``uri_captures`` (regex paths)."""
    consumer: str | None = None
    credential: str | None = None
    """``CONSUMER/CREDENTIAL`` of the credential that authenticated, None for none or anonymous."""
    status: int | None = None
    answered_by: str | None = None
    response_headers: Headers = field(default_factory=Headers)
    buckets: list[BucketOut] = field(default_factory=list)
    language: LanguageDecision | None = None
    body: str | None = None
    notes: list[str] = field(default_factory=list)

    def lookup(self, table: str, key: str) -> str | None:
        """What a request-transformer template reads (``headers``, ``query_params``, ``uri_captures``)."""
        if table == "headers":
            return self.headers.get(key.replace("_", "-"))
        if table == "query_params":
            return next((v for k, v in self.query if k == key), None)
        if table == "uri_captures":
            return self.captures.get(key)
        return None

    def answer(self, plugin: str, status: int) -> None:
        if self.status is None:
            self.status = status
            self.answered_by = plugin

    def authenticate(self, consumer: str | None, credential: str | None) -> None:
        """kong.client.authenticate + the X-Consumer-* headers the auth plugins set or clear."""
        self.consumer = consumer
        self.credential = credential
        found = self.spec.consumers.get(consumer) if consumer else None
        values = {
            "X-Consumer-ID": f"<id of consumer {consumer}>" if consumer else None,
            "X-Consumer-Custom-ID": found.custom_id if found else None,
            "X-Consumer-Username": consumer,
            "X-Credential-Identifier": f"<id of credential {credential}>" if credential else None,
        }
        for name, value in values.items():
            if value is None:
                self.headers.remove(name)
            else:
                self.headers.set(name, value)
        if credential:
            self.headers.remove("X-Anonymous-Consumer")
        else:
            self.headers.set("X-Anonymous-Consumer", "true")
