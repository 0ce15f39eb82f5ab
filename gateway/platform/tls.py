"""The proxy's TLS certificate (8443): from stack config, or self-signed with pulumi-tls (dev)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from gateway.platform.children import Children
from gateway.secrets import secret

SELF_SIGNED_HOURS = 24 * 365
EARLY_RENEWAL_HOURS = 24 * 30


class TlsConfigError(ValueError):
    pass


@dataclass
class ProxyTls:
    certificate: pulumi.Input[str]
    private_key: pulumi.Output[str]
    """Always a secret Output."""
    self_signed: bool


def check_tls_inputs(certificate: str | None, has_key: bool, self_signed: bool) -> None:
    """Raise one clear error unless the settings give a certificate or allow a self-signed one."""
    if certificate and not has_key:
        raise TlsConfigError("ai4v-gateway:tlsCertificate is set but its key is not: "
                             "`pulumi config set --secret ai4v-gateway:tlsPrivateKey < key.pem`")
    if has_key and not certificate:
        raise TlsConfigError("ai4v-gateway:tlsPrivateKey is set but ai4v-gateway:tlsCertificate is not")
    if not certificate and not self_signed:
        raise TlsConfigError("no TLS certificate for the proxy: `pulumi config set ai4v-gateway:tlsCertificate "
                             "< cert.pem` and `pulumi config set --secret ai4v-gateway:tlsPrivateKey < key.pem`, "
                             "or `pulumi config set ai4v-gateway:tlsSelfSigned true` (dev only)")


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
