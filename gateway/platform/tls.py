"""The proxy's TLS certificate (8443): from stack config, or self-signed with pulumi-tls (dev)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from gateway.platform.children import Children
from gateway.secrets import secret
from gateway.stackconfig import check_tls_inputs

SELF_SIGNED_HOURS = 24 * 365
EARLY_RENEWAL_HOURS = 24 * 30


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
    key = tls.PrivateKey(
        children.name("proxy-tls-key"),
        algorithm="ECDSA",
        ecdsa_curve="P256",
        opts=children.opts("proxy-tls-key"),
    )
    cert = tls.SelfSignedCert(
        children.name("proxy-tls-cert"),
        private_key_pem=secret(key.private_key_pem),
        subject=tls.SelfSignedCertSubjectArgs(common_name=hostnames[0] if hostnames else "localhost",
                                              organization="ai4v-gateway (self-signed)"),
        dns_names=hostnames,
        ip_addresses=["127.0.0.1"],
        validity_period_hours=SELF_SIGNED_HOURS,
        early_renewal_hours=EARLY_RENEWAL_HOURS,
        allowed_uses=["key_encipherment", "digital_signature", "server_auth"],
        opts=children.opts("proxy-tls-cert"),
    )
    return ProxyTls(cert.cert_pem, secret(key.private_key_pem), True)
