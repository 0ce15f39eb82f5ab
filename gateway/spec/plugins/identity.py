"""Our ``identity-guard`` plugin, field for field as ``lua/kong/plugins/identity-guard/schema.lua`` (the definition;
tests/test_plugin_schemas.py checks this model against it).

One global instance (Kong runs ``rewrite`` only for global plugins) removes every identity header a
client sends; after key-auth/jwt it answers 401 for the ``anonymous`` consumer, checks a JWT's ``nbf``
when present, and sets the gateway-owned identity header that rate limits count by (a JWT's subject,
else the consumer). Its ``log`` phase redacts credentials from what logging plugins serialize.
"""

# ruff: noqa: RUF012  (pydantic copies mutable field defaults per instance)
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from gateway.spec.plugins.base import PluginConfig
from gateway.spec.plugins.typedefs import Boolean, HeaderName, String, unique

IDENTITY_HEADERS = [
    "X-Consumer-ID",
    "X-Consumer-Custom-ID",
    "X-Consumer-Username",
    "X-Credential-Identifier",
    "X-Anonymous-Consumer",
    "X-Consumer-Groups",
    "X-Authenticated-Groups",
    "X-Authenticated-Userid",
]
"""What Kong's auth and acl plugins set (kong/constants.lua HEADERS) and backends trust."""

HeaderSet = Annotated[list[HeaderName], AfterValidator(unique)]


class IdentityGuardConfig(PluginConfig):
    """``identity-guard`` (priority 1000: after jwt 1450 and key-auth 1250, before acl 950 and
    rate-limiting 910)."""

    plugin_name = "identity-guard"
    priority = 1000  # lua/kong/plugins/identity-guard/handler.lua: PRIORITY
    phases = frozenset({"rewrite", "access", "log"})

    strip_headers: HeaderSet = list(IDENTITY_HEADERS)
    identity_header: HeaderName = "X-Client-Identity"
    subject_claim: String = "sub"
    reject_anonymous: Boolean = True
    verify_nbf: Boolean = True
    realm: String = "ai4v-gateway"
    unauthorized_message: String = (
        "Unauthorized: send an API key in the 'apikey' or 'X-API-Key' header (or the 'apikey' query "
        "argument), or a JWT as 'Authorization: Bearer <token>'"
    )
    redact_query_args: Annotated[list[String], AfterValidator(unique)] = ["apikey", "jwt"]
    redact_headers: HeaderSet = ["apikey", "X-API-Key", "Authorization", "Proxy-Authorization"]

    def log_redactions(self) -> set[str]:
        """handler.lua ``redact`` (log phase); kong.log.serialize itself hides Authorization."""
        return ({f"query:{n.lower()}" for n in self.redact_query_args}
                | {f"header:{n.lower()}" for n in [*self.redact_headers, "Authorization", "Proxy-Authorization"]})

    def sets_headers(self) -> set[str]:
        return {self.identity_header.lower(), *(name.lower() for name in self.strip_headers)}
