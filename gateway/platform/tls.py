"""The proxy's TLS certificate (8443): from stack config, or self-signed with pulumi-tls (dev)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from gateway.platform.children import Children
from gateway.stack.checks import check_tls_inputs
from gateway.stack.secrets import secret

SELF_SIGNED_HOURS = 24 * 365
EARLY_RENEWAL_HOURS = 24 * 30


@dataclass(frozen=True)
class SelfSigned:
    """The self-signed proxy certificate, as pulumi-tls makes it here and the local gateway with openssl
    (tests/local_gateway): an ECDSA P-256 key, these names, a year of validity."""

    hostnames: tuple[str, ...]
    organization: str = "ai4v-gateway (self-signed)"
    ip_addresses: tuple[str, ...] = ("127.0.0.1",)
    curve: str = "P256"
    validity_hours: int = SELF_SIGNED_HOURS
    allowed_uses: tuple[str, ...] = ("key_encipherment", "digital_signature", "server_auth")

    @property
    def common_name(self) -> str:
        return self.hostnames[0] if self.hostnames else "localhost"


@dataclass
class ProxyTls:
    certificate: pulumi.Input[str]
    private_key: pulumi.Output[str]
    """Always a secret Output."""
    self_signed: bool


def proxy_tls(*, certificate: str | None, private_key: pulumi.Input[str] | None, self_signed: bool,
              hostnames: list[str], children: Children) -> ProxyTls:
    check_tls_inputs(certificate, private_key is not None, self_signed)
    if certificate and private_key is not None:
        return ProxyTls(certificate, secret(private_key), False)
    wanted = SelfSigned(tuple(hostnames))
    key = tls.PrivateKey(
        children.name("proxy-tls-key"),
        algorithm="ECDSA",
        ecdsa_curve=wanted.curve,
        opts=children.opts("proxy-tls-key"),
    )
    cert = tls.SelfSignedCert(
        children.name("proxy-tls-cert"),
        private_key_pem=secret(key.private_key_pem),
        subject=tls.SelfSignedCertSubjectArgs(common_name=wanted.common_name, organization=wanted.organization),
        dns_names=hostnames,
        ip_addresses=list(wanted.ip_addresses),
        validity_period_hours=wanted.validity_hours,
        early_renewal_hours=EARLY_RENEWAL_HOURS,
        allowed_uses=list(wanted.allowed_uses),
        opts=children.opts("proxy-tls-cert"),
    )
    return ProxyTls(cert.cert_pem, secret(key.private_key_pem), True)
