"""Throwaway TLS material for the local cluster's TLS listeners (used by scripts/local-cluster.sh up).

Writes into OUT (default .local-cluster/tls), replacing what is there:

  ca.crt                      the local CA every broker certificate and good client certificate is signed by
  truststore.p12              PKCS12 trust store holding ca.crt (the broker's ssl.truststore)
  broker.p12, broker.crt      the broker's key store (key + certificate + CA); SAN DNS:localhost, IP:127.0.0.1
  broker-wronghost.p12, .crt  a key store whose certificate names only DNS:wrong.example (hostname check fails)
  mqctl-admin.crt/.key        client certificate CN=mqctl-admin (a super user on the SASL node)
  order-service.crt/.key      client certificate CN=order-service (rights only from ACLs)
  analytics-service.crt/.key  client certificate CN=analytics-service (rights only from ACLs)
  order-service-encrypted.key the key of order-service.crt, PKCS8 encrypted with ENCRYPTED_KEY_PASSWORD
  expired-client.crt/.key     CN=expired-client, signed by the CA, validity ended a day before generation
  rogue-ca.crt                a CA nobody trusts
  rogue-client.crt/.key       CN=order-service, signed by rogue-ca.crt
  oauth-signing.key           RSA key the token issuer (scripts/oauth_issuer.py) signs its JWTs with

Certificates and keys are PEM (librdkafka and Python's ssl read PEM); keys are unencrypted PKCS8
except order-service-encrypted.key. The key and trust stores are PKCS12 (PBES2 / AES-256, HMAC-SHA256,
which Java 17 reads) with the password --store-password (default STORE_PASSWORD). Every `up` makes
new material: nothing here is a secret worth keeping, and nothing outside 127.0.0.1/localhost is named.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

STORE_PASSWORD = "local-store-secret"  # default password of every PKCS12 store (and the key inside it)
ENCRYPTED_KEY_PASSWORD = "order-key-secret"  # order-service-encrypted.key
CLIENTS = ("mqctl-admin", "order-service", "analytics-service")
DAY = dt.timedelta(days=1)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str, now: dt.datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return key, cert


def _leaf(
    cn: str,
    ca_key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    server_names: list[x509.GeneralName] | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _key()
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if server_names:
        usages.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )  # fmt: skip
    if server_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(server_names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key: rsa.RSAPrivateKey, password: str | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _store_encryption(password: str) -> serialization.KeySerializationEncryption:
    return (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(10000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )


def generate(out: Path, store_password: str = STORE_PASSWORD, world_readable: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o755 if world_readable else 0o700)

    def _write(path: Path, data: bytes, private: bool = False) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.chmod(0o600 if private and not world_readable else 0o644)
        os.replace(tmp, path)

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start, end = now - DAY, now + 365 * DAY

    ca_key, ca = _ca("mqctl local CA", now)
    _write(out / "ca.crt", _pem_cert(ca))
    _write(out / "truststore.p12", pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(ca, b"mqctl-local-ca")], _store_encryption(store_password)
    ))  # fmt: skip

    hosts: dict[str, list[x509.GeneralName]] = {
        "broker": [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))],
        "broker-wronghost": [x509.DNSName("wrong.example")],
    }
    for name, sans in hosts.items():
        cn = str(sans[0].value)
        key, cert = _leaf(cn, ca_key, ca, server_names=sans, not_before=start, not_after=end)
        _write(out / f"{name}.crt", _pem_cert(cert))
        store = pkcs12.serialize_key_and_certificates(name.encode(), key, cert, [ca], _store_encryption(store_password))
        _write(out / f"{name}.p12", store, private=True)

    for cn in CLIENTS:
        key, cert = _leaf(cn, ca_key, ca, not_before=start, not_after=end)
        _write(out / f"{cn}.crt", _pem_cert(cert))
        _write(out / f"{cn}.key", _pem_key(key), private=True)
        if cn == "order-service":
            _write(out / "order-service-encrypted.key", _pem_key(key, ENCRYPTED_KEY_PASSWORD), private=True)

    key, cert = _leaf("expired-client", ca_key, ca, not_before=now - 30 * DAY, not_after=now - DAY)
    _write(out / "expired-client.crt", _pem_cert(cert))
    _write(out / "expired-client.key", _pem_key(key), private=True)

    rogue_key, rogue = _ca("untrusted rogue CA", now)
    _write(out / "rogue-ca.crt", _pem_cert(rogue))
    key, cert = _leaf("order-service", rogue_key, rogue, not_before=start, not_after=end)
    _write(out / "rogue-client.crt", _pem_cert(cert))
    _write(out / "rogue-client.key", _pem_key(key), private=True)

    _write(out / "oauth-signing.key", _pem_key(_key()), private=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(".local-cluster/tls"), help="directory to (re)write")
    parser.add_argument("--store-password", default=STORE_PASSWORD, help="password of the PKCS12 stores")
    parser.add_argument("--world-readable", action="store_true",
                        help="keys readable by everyone (for containers running as another user)")
    args = parser.parse_args(argv)
    generate(args.out, args.store_password, args.world_readable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
