"""TLS as mqctl checks it itself, with Python's ssl module and `cryptography`, around the two Kafka clients.

Neither client says what is wrong with TLS material: a request just times out, the cause is in a
side channel, librdkafka words an unknown CA and a wrong host name identically, and kafka-python
lets OpenSSL prompt for a key's pass phrase on the terminal. So mqctl:

- builds the one `ssl.SSLContext` of an environment itself (`tls_context`), loading the CA, the client
  certificate and its key with a password callback that never prompts; kafka-python is handed that
  context, librdkafka the same files once they loaded here. An expired client certificate, a key that
  does not decrypt or does not belong to the certificate is one line naming the setting, before any
  connection;
- when a connection fails, probes the bootstrap brokers itself (`diagnose`): a TLS handshake that
  verifies the chain and the host name as the clients do, then one ApiVersions request (which every
  listener answers before authentication) to see whether the broker accepted the client certificate.
  OpenSSL's verify code tells a host-name mismatch from an unknown CA; a listener that does not
  complete a handshake is a plaintext one. Probing only after a failure costs a healthy run nothing;
- reads the brokers' certificates (`probe_brokers`, then `certificate_or_problem`) for `cluster info` and
  `cluster health`.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from mqctl.config import Environment, SecurityConfig
from mqctl.diagnostics import MqctlError

PROBE_SECONDS = 5.0  # at most this long for all probes of one diagnosis (bounded by the environment's timeout)
_API_VERSIONS_V0 = b"\x00\x12\x00\x00\x7f\xff\xff\xff\x00\x05mqctl"  # api key 18, version 0, correlation id, client id
# OpenSSL verify codes (X509_V_ERR_*) a user can act on differently
_EXPIRED, _NOT_YET_VALID = 10, 9
_HOSTNAME_MISMATCH = (62, 64)  # host name, IP address
_UNTRUSTED = (2, 7, 18, 19, 20, 21)  # no issuer, bad signature, self-signed (in the chain), leaf unverifiable


@dataclass(frozen=True)
class CertificateInfo:
    """What a certificate says about itself, as plain values."""

    subject: str  # RFC 4514, e.g. "CN=localhost"
    issuer: str
    not_before: datetime  # UTC
    not_after: datetime
    names: tuple[str, ...]  # subjectAltName DNS names and IP addresses

    def days_left(self, now: datetime | None = None) -> float:
        """Days until it expires (negative once expired)."""
        return (self.not_after - (now or datetime.now(UTC))).total_seconds() / 86400

    def describe(self) -> str:
        return f"{self.subject} (issued by {self.issuer}, valid until {_day(self.not_after)})"

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_left": round(self.days_left(now), 1),
            "names": list(self.names),
        }


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _info(data: bytes, *, pem: bool = False) -> CertificateInfo:
    """A certificate (DER, or PEM) as plain values. `cryptography` is imported here, on first use:
    it adds about 8 MiB of RSS, which a run that reads no certificate (any plaintext one) never needs."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(data) if pem else x509.load_der_x509_certificate(data)
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(str(name.value) for name in alt if isinstance(name, (x509.DNSName, x509.IPAddress)))
    except x509.ExtensionNotFound:
        names = ()
    return CertificateInfo(
        cert.subject.rfc4514_string(),
        cert.issuer.rfc4514_string(),
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
        names,
    )


def read_certificate(path: str, setting: str = "ssl_certificate_location") -> CertificateInfo:
    """The first certificate of a PEM file; MqctlError naming `setting` when there is none."""
    try:
        with open(path, "rb") as handle:
            return _info(handle.read(), pem=True)
    except (OSError, ValueError) as exc:
        raise MqctlError(f"{setting} {path}: not a readable PEM certificate ({exc})") from None


def _checked_client_certificate(path: str) -> CertificateInfo:
    """The client certificate, refused here when it is expired or not yet valid: a broker would only
    answer "certificate unknown", like for a certificate it does not trust."""
    cert = read_certificate(path)
    now = datetime.now(UTC)
    if cert.not_after <= now:
        raise MqctlError(f"ssl_certificate_location {path}: the client certificate {cert.subject} expired on "
                         f"{_day(cert.not_after)}; brokers refuse it. Renew it")  # fmt: skip
    if cert.not_before > now:
        raise MqctlError(f"ssl_certificate_location {path}: the client certificate {cert.subject} is not valid "
                         f"before {_day(cert.not_before)} (check this machine's clock)")  # fmt: skip
    return cert


@lru_cache(maxsize=8)
def tls_context(security: SecurityConfig) -> ssl.SSLContext:
    """The environment's TLS settings, loaded and checked: verification as librdkafka does it (the CA
    of ssl_ca_location or the system's, host names unless ssl_endpoint_identification is false), the
    client certificate and key loaded with the configured password (never a terminal prompt). One
    context per settings, shared by kafka-python and the probes; MqctlError names what is wrong."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = security.ssl_endpoint_identification
    ca = security.ssl_ca_location
    try:
        if ca:
            context.load_verify_locations(ca)
        else:
            context.load_default_certs()
    except (OSError, ssl.SSLError) as exc:
        raise MqctlError(f"ssl_ca_location {ca}: no CA certificate could be loaded from it ({exc})") from None
    if security.ssl_certificate_location and security.ssl_key_location:
        _load_client_certificate(context, security)
    return context


def _load_client_certificate(context: ssl.SSLContext, security: SecurityConfig) -> None:
    cert_file, key_file = security.ssl_certificate_location or "", security.ssl_key_location or ""
    subject = _checked_client_certificate(cert_file).subject
    asked: list[bool] = []

    def password() -> bytes:
        """Called by OpenSSL only for an encrypted key; instead of the terminal prompt."""
        asked.append(True)
        return security.ssl_key_password.reveal().encode() if security.ssl_key_password else b""

    try:
        context.load_cert_chain(cert_file, key_file, password=password)
    except ssl.SSLError as exc:
        if asked and security.ssl_key_password is None:
            reason = "the key is encrypted and ssl_key_password is not set"
        elif asked:
            reason = "ssl_key_password does not decrypt it"
        elif exc.reason == "KEY_VALUES_MISMATCH":
            reason = f"it is not the private key of ssl_certificate_location ({subject})"
        else:
            reason = f"not a PEM private key ({exc.reason or exc})"
        raise MqctlError(f"ssl_key_location {key_file}: {reason}") from None


def addresses(bootstrap_servers: str) -> list[tuple[str, int]]:
    """host:port pairs of a bootstrap list (`[::1]:9093` included); entries without a port are skipped."""
    found = []
    for entry in bootstrap_servers.split(","):
        host, _, port = entry.strip().rpartition(":")
        if host and port.isdigit():
            found.append((host.strip("[]"), int(port)))
    return found


@dataclass(frozen=True)
class Probe:
    """One broker as mqctl's own TLS connection found it."""

    address: str
    certificate: CertificateInfo | None = None  # what the broker presented (even when it was not trusted)
    problem: str | None = None  # why the Kafka clients cannot talk to it, as one line; None: nothing found


def _connect(host: str, port: int, timeout: float) -> socket.socket | None:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None


def _presented(host: str, port: int, timeout: float) -> CertificateInfo | None:
    """The certificate a broker presents, read without verifying anything (to say what is wrong with it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = _connect(host, port, timeout)
    if sock is None:
        return None
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
            return _info(der) if der else None
    except (OSError, ValueError):
        return None
    finally:
        sock.close()


def _untrusted(security: SecurityConfig, host: str, address: str, cert: CertificateInfo | None,
               error: Exception) -> str:  # fmt: skip
    """Why a broker certificate failed verification, from OpenSSL's verify code."""
    code = getattr(error, "verify_code", None)
    detail = getattr(error, "verify_message", None) or str(error)
    presented = f"{cert.subject}, issued by {cert.issuer}" if cert else "unreadable"
    if code in _HOSTNAME_MISMATCH:
        names = ", ".join(cert.names) if cert and cert.names else "no subjectAltName"
        return (f"the broker at {address} presents a certificate for {names} ({presented}), not for {host} "
                f"(certificate verify failed: {detail.rstrip('.')}). Use a bootstrap address the certificate "
                "names, or have the broker's certificate name this one")  # fmt: skip
    if code == _EXPIRED and cert:
        return (f"the broker at {address} presents a certificate that expired on {_day(cert.not_after)} "
                f"({presented}; certificate verify failed)")  # fmt: skip
    if code in _UNTRUSTED:
        trusted = (f"ssl_ca_location ({security.ssl_ca_location})" if security.ssl_ca_location
                   else "the system's CA store (ssl_ca_location is not set)")  # fmt: skip
        return (f"the broker at {address} presents a certificate ({presented}) that is not signed by a CA in "
                f"{trusted} (certificate verify failed: {detail}). Set ssl_ca_location to the CA that issued "
                "it")  # fmt: skip
    return f"the broker at {address} presents a certificate ({presented}) that fails verification: {detail}"


def _refused_client(security: SecurityConfig, address: str, error: ssl.SSLError) -> str:
    """The broker ended the connection after the handshake with a TLS alert: it did not accept us."""
    alert = error.reason or str(error)
    if not security.ssl_certificate_location:
        return (f"the broker at {address} requires a client certificate (mutual TLS) and none is configured "
                f"(TLS alert {alert}): set ssl_certificate_location and ssl_key_location")  # fmt: skip
    mine = read_certificate(security.ssl_certificate_location).describe()
    return (f"the broker at {address} refused mqctl's client certificate {mine} (TLS alert {alert}): it does not "
            "trust the certificate's issuer, or the certificate was revoked")  # fmt: skip


def _refusal(error: ssl.SSLError) -> bool:
    """A TLS alert about the client's certificate (bad, unknown, required, unknown CA...)."""
    reason = error.reason or ""
    return "ALERT" in reason and ("CERTIFICATE" in reason or "UNKNOWN_CA" in reason)


def _not_tls(address: str, error: Exception) -> str:
    return (f"{address} does not speak TLS: it ended the TLS handshake ({error}). It is most likely a PLAINTEXT "
            "or SASL_PLAINTEXT listener: use that protocol, or the broker's TLS port")  # fmt: skip


def _handshake(security: SecurityConfig, address: str, host: str, sock: socket.socket) -> Probe:
    """TLS with the environment's context, then one ApiVersions request: TLS 1.3 brokers refuse a
    client certificate only after the client's side of the handshake is done."""
    with tls_context(security).wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
        cert = _info(der) if der else None
        try:
            tls.sendall(struct.pack(">i", len(_API_VERSIONS_V0)) + _API_VERSIONS_V0)
            answer = tls.recv(4)
        except ssl.SSLError as exc:
            if _refusal(exc):
                return Probe(address, cert, _refused_client(security, address, exc))
            return Probe(address, cert, f"the broker at {address} ended the connection after the TLS "
                                              f"handshake ({exc})")  # fmt: skip
        except TimeoutError:  # slow, not wrong: nothing to conclude
            return Probe(address, cert)
        except OSError:  # reset: the broker dropped us without a word
            answer = b""
        if not answer:
            return Probe(address, cert, f"the broker at {address} closed the connection after the TLS "
                                              "handshake, before answering a request")  # fmt: skip
        return Probe(address, cert)


def probe(security: SecurityConfig, host: str, port: int, timeout: float) -> Probe:
    """Connect to one broker as the environment's clients would and say what stands in the way."""
    address = f"{host}:{port}"
    if not security.tls:
        return _plaintext_probe(address, host, port, timeout)
    sock = _connect(host, port, timeout)
    if sock is None:  # refused or unreachable: nothing TLS can tell
        return Probe(address)
    try:
        return _handshake(security, address, host, sock)
    except ssl.SSLCertVerificationError as exc:
        error = exc
        if exc.verify_code in _HOSTNAME_MISMATCH:  # OpenSSL checks the name before the signatures:
            error = _chain_error(security, host, port, timeout) or exc  # an untrusted chain is worse news
        presented = _presented(host, port, timeout)
        return Probe(address, presented, _untrusted(security, host, address, presented, error))
    except ssl.SSLError as exc:
        if _refusal(exc):  # TLS 1.2: the refusal comes within the handshake
            return Probe(address, problem=_refused_client(security, address, exc))
        if exc.reason in ("UNEXPECTED_EOF_WHILE_READING", "WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE"):
            return Probe(address, problem=_not_tls(address, exc))
        return Probe(address, problem=f"the TLS handshake with {address} failed ({exc})")
    except ConnectionError as exc:
        return Probe(address, problem=_not_tls(address, exc))
    except OSError:  # a timeout in the middle: nothing to conclude
        return Probe(address)
    finally:
        sock.close()


def _chain_error(security: SecurityConfig, host: str, port: int, timeout: float) -> ssl.SSLCertVerificationError | None:
    """The verification error of a handshake that does not check the host name, if there is one."""
    sock = _connect(host, port, timeout)
    if sock is None:
        return None
    try:
        with tls_context(replace(security, ssl_endpoint_identification=False)).wrap_socket(sock, server_hostname=host):
            return None
    except ssl.SSLCertVerificationError as exc:
        return exc
    except OSError:
        return None
    finally:
        sock.close()


def _plaintext_probe(address: str, host: str, port: int, timeout: float) -> Probe:
    """A plaintext client failed: does the listener expect TLS? A handshake with verification off
    that completes says it does."""
    if _presented(host, port, timeout) is None:
        return Probe(address)
    return Probe(address, problem=f"the listener at {address} speaks TLS, and the environment's protocol does "
                                      "not use it: set protocol SSL (or SASL_SSL) and ssl_ca_location")  # fmt: skip


def diagnose(env: Environment) -> str | None:
    """Why the environment's clients cannot talk to its cluster, when mqctl's own probe of the
    bootstrap brokers finds a TLS reason; None when it finds none (or reaches none). Bounded by
    PROBE_SECONDS (or the environment's timeout, if shorter) in all."""
    deadline = time.monotonic() + min(PROBE_SECONDS, env.timeout_seconds)
    for host, port in addresses(env.bootstrap_servers):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        found = probe(env.security, host, port, left)
        if found.problem:
            return found.problem
    return None


def probe_brokers(security: SecurityConfig, brokers: Mapping[int, tuple[str, int]], timeout: float
                  ) -> dict[int, Probe]:  # fmt: skip
    """Each broker probed as the environment's clients would connect to it (one TLS connection and
    one ApiVersions request each), brokers in parallel. A certificate that fails verification is
    still there, beside the problem, so that an expired one can be told by its date."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = pool.map(lambda address: probe(security, address[0], address[1], timeout), brokers.values())
        return dict(zip(brokers, found, strict=True))


def certificate_or_problem(found: Probe, timeout: float) -> CertificateInfo | str:
    """A probe as `cluster info` shows it: the certificate, or why the clients cannot use the broker,
    or that nothing answered."""
    if found.problem:
        return found.problem
    if found.certificate is None:
        return f"{found.address}: no TLS connection (refused, or no answer within {timeout:g}s)"
    return found.certificate

