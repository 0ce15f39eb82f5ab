"""Requests to run through two specs: generated from the routes, plus the written-down traffic cases.

Generated: every route path (a regex one by its plain sample, gateway.explain.router.sample_path) x its
methods (GET and POST when it names none) x no version header / each header value a route matches on x
the ULCA sample bodies (POST) x no credential / one credential per consumer. Written down:
``tests/traffic/*.yaml`` (see ``TrafficFile``), each case with the outcome it must have.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from gateway.explain.outcome import Outcome
from gateway.explain.request import Credential, Request, build_request
from gateway.explain.router import sample_path
from gateway.spec.models import GatewaySpec

SAMPLES = Path("lua/spec/fixtures/ulca")
"""The ULCA sample bodies (copies of the shared examples), relative to the project root."""


def sample_bodies(root: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted((root / SAMPLES).glob("*.json"))}


def generate(specs: list[GatewaySpec], bodies: dict[str, bytes]) -> list[Request]:
    """The generated corpus for the union of the specs' routes, without duplicates, in a stable order."""
    out: dict[Request, None] = {}
    headers: set[tuple[str, str]] = set()
    creds: dict[str, Credential] = {}
    for spec in specs:
        for _, _, route in spec.routes():
            headers.update((name, values[0]) for name, values in (route.headers or {}).items()
                           if not values[0].startswith("~*"))
        for name, consumer in spec.consumers.items():
            first = next(iter([*consumer.keyauth_credentials, *consumer.jwt_secrets]), None)
            if first:
                creds.setdefault(name, Credential(name, first))
    variants: list[tuple[tuple[str, str], ...]] = [(), *((h,) for h in sorted(headers))]
    for spec in specs:
        for _, _, route in spec.routes():
            for path in filter(None, map(sample_path, route.paths or ["/"])):
                for method in route.methods or ["GET", "POST"]:
                    for extra in variants:
                        for body_name, body in ([("", b"")] if method == "GET" else sorted(bodies.items())):
                            for cred in [None, *creds.values()]:
                                hdrs = (("Host", "localhost"), *extra)
                                if body_name:
                                    hdrs = (*hdrs, ("Content-Type", "application/json"),
                                            ("Content-Length", str(len(body))))
                                out[Request(method, "http", "localhost", 8000, path, headers=hdrs,
                                            body=body if body_name else None, credential=cred)] = None
    return list(out)


def describe(request: Request) -> str:
    parts = [request.method, request.url()]
    parts += [f"{k}: {v}" for k, v in request.headers if k.lower() not in ("host", "content-length", "content-type")]
    if request.body is not None:
        parts.append(f"body {len(request.body)} B")
    if request.credential:
        parts.append(f"as {request.credential.consumer}/{request.credential.name}")
    return " | ".join(parts)


# --- written-down cases ------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseRequest(_Strict):
    method: str = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: Annotated[str | dict[str, Any] | None, Field(description="JSON, or @name of a ULCA sample")] = None
    credential: str | None = None

    def build(self, bodies: dict[str, bytes]) -> Request:
        body: bytes | None = None
        headers = [f"{k}: {v}" for k, v in self.headers.items()]
        if isinstance(self.body, str) and self.body.startswith("@"):
            body = bodies[self.body[1:]]
        elif self.body is not None:
            body = (self.body if isinstance(self.body, str) else json.dumps(self.body, ensure_ascii=False)).encode()
        if body is not None and not any(k.lower() == "content-type" for k in self.headers):
            headers.append("Content-Type: application/json")
        return build_request(self.method, self.url, headers, body, self.credential)


class Expect(_Strict):
    """Each field given must equal the outcome's; absent fields are not checked."""

    route: str | None = Field(None, description="SERVICE/ROUTE, or 'none'")
    status: int | None = Field(None, description="the status Kong answers itself; 0: proxied")
    answered_by: str | None = None
    consumer: str | None = None
    upstream: str | None = None
    path: str | None = None
    language: str | None = None
    language_source: str | None = None
    service_id: str | None = None
    bucket_identifiers: list[str] | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    absent_headers: list[str] = Field(default_factory=list)


class Case(_Strict):
    name: str
    request: CaseRequest
    expect: Expect


class TrafficFile(_Strict):
    stack: str
    cases: list[Case]


def load_cases(directory: Path) -> list[tuple[Path, TrafficFile]]:
    return [(p, TrafficFile.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))))
            for p in sorted(directory.glob("*.yaml"))]


def check(expect: Expect, outcome: Outcome) -> list[str]:
    """What differs from the expectation, one entry per field."""
    route = outcome["route"]
    upstream = outcome["upstream"]
    lang = outcome["language"]
    actual: dict[str, object] = {
        "route": f"{route['service']}/{route['route']}" if route else "none",
        "status": outcome["status"] if outcome["status"] is not None else 0,
        "answered_by": outcome["answered_by"],
        "consumer": outcome["consumer"],
        "upstream": upstream["host"] if upstream else None,
        "path": upstream["path"] if upstream else None,
        "language": lang["language"] if lang else None,
        "language_source": lang["source"] if lang else None,
        "service_id": lang["service_id"] if lang else None,
        "bucket_identifiers": [b["identifier"] for b in outcome["buckets"]],
    }
    wrong = [f"{key}: expected {getattr(expect, key)!r}, got {value!r}" for key, value in actual.items()
             if getattr(expect, key) is not None and getattr(expect, key) != value]
    sent = {k.lower(): v for k, v in (upstream["headers"] if upstream else {}).items()}
    for name, value in expect.headers.items():
        if sent.get(name.lower()) != value:
            wrong.append(f"header {name}: expected {value!r}, got {sent.get(name.lower())!r}")
    for name in expect.absent_headers:
        if name.lower() in sent:
            wrong.append(f"header {name}: expected absent, got {sent[name.lower()]!r}")
    return wrong
