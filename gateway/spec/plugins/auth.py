"""Who may call: key-auth, jwt, acl, ip-restriction, bot-detection (Kong 3.9.3 schemas)."""

# ruff: noqa: RUF012  (pydantic copies mutable field defaults per instance)
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from gateway.spec.plugins.base import PluginConfig, Ref
from gateway.spec.plugins.typedefs import (
    Boolean,
    HeaderName,
    IpOrCidr,
    Number,
    String,
    fail,
    unique,
)

StringSet = Annotated[list[String], AfterValidator(unique)]


class KeyAuthConfig(PluginConfig):
    """``key-auth``: API keys read from headers / query / body under ``key_names``."""

    plugin_name = "key-auth"
    priority = 1250  # kong/plugins/key-auth/handler.lua: PRIORITY
    phases = frozenset({"access"})
    authenticates = True

    key_names: list[HeaderName] = ["apikey"]
    hide_credentials: Boolean = False
    anonymous: String | None = None
    key_in_header: Boolean = True
    key_in_query: Boolean = True
    key_in_body: Boolean = False
    run_on_preflight: Boolean = True
    realm: String | None = None
    doc_column = "auth"

    def doc_summary(self) -> str:
        where = [w for w, on in (("header", self.key_in_header), ("query", self.key_in_query),
                                 ("body", self.key_in_body)) if on]
        return f"key-auth: {', '.join(self.key_names)} ({', '.join(where)})"

    def consumer_refs(self) -> Iterator[Ref]:
        if self.anonymous:
            yield ("anonymous",), self.anonymous


class JwtConfig(PluginConfig):
    """``jwt``: HS/RS/ES-signed tokens checked against consumer jwt credentials."""

    plugin_name = "jwt"
    priority = 1450  # kong/plugins/jwt/handler.lua: PRIORITY
    phases = frozenset({"access"})
    authenticates = True

    uri_param_names: StringSet = ["jwt"]
    cookie_names: StringSet = []
    key_claim_name: String = "iss"
    secret_is_base64: Boolean = False
    claims_to_verify: Annotated[list[Literal["exp", "nbf"]], AfterValidator(unique)] | None = None
    anonymous: String | None = None
    run_on_preflight: Boolean = True
    maximum_expiration: Annotated[Number, Field(ge=0, le=31536000)] = 0
    header_names: StringSet = ["authorization"]
    realm: String | None = None
    doc_column = "auth"

    def doc_summary(self) -> str:
        headers = ", ".join(name.title() for name in self.header_names)
        return f"jwt: Bearer token in {headers} ({self.key_claim_name} = consumer key)"

    @model_validator(mode="after")
    def _expiration_needs_exp(self) -> Self:
        # Kong's conditional: maximum_expiration > 0 => claims_to_verify contains "exp"
        # (a null claims_to_verify passes Kong's check, so it passes here too).
        claims = self.claims_to_verify
        if self.maximum_expiration > 0 and claims is not None and "exp" not in claims:
            raise fail("maximum_expiration > 0 requires claims_to_verify to contain 'exp'")
        return self

    def consumer_refs(self) -> Iterator[Ref]:
        if self.anonymous:
            yield ("anonymous",), self.anonymous


class AclConfig(PluginConfig):
    """``acl``: allow or deny consumer groups (exactly one of the two lists, non-empty)."""

    plugin_name = "acl"
    priority = 950  # kong/plugins/acl/handler.lua: PRIORITY
    phases = frozenset({"access"})

    allow: list[String] | None = None
    deny: list[String] | None = None
    hide_groups_header: Boolean = False
    always_use_authenticated_groups: Boolean = False
    doc_column = "acl"

    def doc_summary(self) -> str:
        return ", ".join(self.allow) if self.allow else "all but " + ", ".join(self.deny or [])

    @model_validator(mode="after")
    def _exactly_one_list(self) -> Self:
        # entity_checks only_one_of + at_least_one_of {allow, deny}; an empty list counts as unset.
        if bool(self.allow) == bool(self.deny):
            raise fail("exactly one of allow or deny must be set to a non-empty list of group names")
        return self

    def group_refs(self) -> Iterator[Ref]:
        for field in ("allow", "deny"):
            for index, group in enumerate(getattr(self, field) or []):
                yield (field, index), group

    def needs_consumer(self) -> Ref | None:
        return ("allow",), "acl needs an authenticated consumer"


class IpRestrictionConfig(PluginConfig):
    """``ip-restriction``: allow / deny lists of IPs or CIDR ranges (both may be set; deny wins)."""

    plugin_name = "ip-restriction"
    priority = 990  # kong/plugins/ip-restriction/handler.lua: PRIORITY
    phases = frozenset({"access"})
    default_protocols = ("http", "https", "tcp", "tls", "grpc", "grpcs")  # kong/plugins/ip-restriction/schema.lua

    allow: list[IpOrCidr] | None = None
    deny: list[IpOrCidr] | None = None
    status: Number | None = None
    message: String | None = None

    @model_validator(mode="after")
    def _at_least_one_list(self) -> Self:
        if not self.allow and not self.deny:
            raise fail("at least one of allow or deny must be a non-empty list of IPs or CIDR ranges")
        return self


class BotDetectionConfig(PluginConfig):
    """``bot-detection``: User-Agent regexes (PCRE, checked by Kong) on top of its built-in bot list."""

    plugin_name = "bot-detection"
    priority = 2500  # kong/plugins/bot-detection/handler.lua: PRIORITY
    phases = frozenset({"access"})

    allow: list[String] = []
    deny: list[String] = []
