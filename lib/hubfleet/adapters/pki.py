"""A test cluster's certificates and keys: a CA of its own, the API server's serving
certificate, and the service-account signing key (`cryptography`, from the `kube` extra)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from hubfleet.core.errors import HubfleetError

__all__ = ["ClusterPki", "write_cluster_pki"]

_DAYS = 30  # throwaway clusters: long enough for a long test session, no longer
_SERVER_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")


@dataclass(frozen=True)
class ClusterPki:
    ca_pem: str
    admin_token: str


def _crypto():
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID
    except ModuleNotFoundError:
        raise HubfleetError(
            "test clusters need the `cryptography` package: pip install 'hubfleet[kube]'"
        ) from None
    return x509, hashes, serialization, ec, rsa, NameOID


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_cluster_pki(folder: Path, admin_user: str) -> ClusterPki:
    """Write ca.crt/ca.key, apiserver.crt/.key, sa.key/sa.pub and tokens.csv into `folder`."""
    x509, hashes, serialization, ec, rsa, NameOID = _crypto()
    folder.mkdir(mode=0o700, parents=True, exist_ok=False)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    pem = serialization.Encoding.PEM

    def key_bytes(key) -> bytes:
        return key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hubfleet-testcluster-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt = [x509.DNSName(n) for n in _SERVER_NAMES] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = secrets.token_hex(24)
    ca_pem = ca.public_bytes(pem)
    _write(folder / "ca.crt", ca_pem, 0o644)
    _write(folder / "ca.key", key_bytes(ca_key))
    _write(folder / "apiserver.crt", server.public_bytes(pem), 0o644)
    _write(folder / "apiserver.key", key_bytes(server_key))
    _write(folder / "sa.key", key_bytes(sa_key))
    public = sa_key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write(folder / "sa.pub", public, 0o644)
    # token,user,uid,"group": the static admin of this throwaway cluster
    _write(folder / "tokens.csv", f'{token},{admin_user},{admin_user},"system:masters"\n'.encode())
    return ClusterPki(ca_pem=ca_pem.decode(), admin_token=token)
