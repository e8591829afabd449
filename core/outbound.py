"""Where the server may send requests on a user's behalf (AI model base URLs, webhooks).

Only http(s). Link-local and cloud metadata addresses are always refused; loopback only
when OUTBOUND_ALLOW_LOOPBACK is on (the default in DEBUG, for local model servers);
private, shared and reserved ranges only when OUTBOUND_ALLOW_PRIVATE is on. An IPv6 address
that carries an IPv4 one (IPv4-mapped or -compatible, 6to4, Teredo, NAT64) is checked as the
IPv4 address it carries too. A host name is checked by what it resolves to, when written and
again before each call; a name that does not resolve now is accepted when written (the call
checks it again). `post` connects to the very address it checked (no second resolution, so
no rebinding in between) and follows no redirect.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


def validate_outbound_url(url: str) -> None:
    """Raise ValidationError unless the server may call `url`."""
    checked_addresses(url)


def checked_addresses(url: str) -> list:
    """What `url`'s host resolves to, each address allowed; ValidationError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Must be an http:// or https:// URL.", code="invalid_scheme")
    addresses = _addresses(parts.hostname)
    for address in addresses:
        if reason := _refusal(address):
            raise ValidationError(
                f"{parts.hostname} is {reason} ({address}); the server does not call such addresses.",
                code="forbidden_address",
            )
    return sorted(addresses, key=lambda address: address.version)


class _Pinned:
    """An HTTP(S) connection to the address given, whatever the host name resolves to now;
    TLS still checks the certificate against the host name."""

    def __init__(self, host, port, *, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = str(address)

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        if isinstance(self, http.client.HTTPSConnection):
            self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    pass


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    pass


def post(url: str, *, body: bytes, headers: dict, timeout: float) -> int:
    """POST `body` to `url` at an address the rules allow, checked now and connected to as
    checked; the status of the answer, a redirect's too (it is not followed). Raises
    ValidationError for a forbidden address, OSError when it cannot be reached."""
    addresses = checked_addresses(url)
    if not addresses:
        raise OSError(f"{urlsplit(url).hostname} does not resolve.")
    parts = urlsplit(url)
    options = {"address": addresses[0], "timeout": timeout}
    if parts.scheme == "https":
        connection = _PinnedHTTPS(
            parts.hostname, parts.port or 443, context=ssl.create_default_context(), **options
        )
    else:
        connection = _PinnedHTTP(parts.hostname, parts.port or 80, **options)
    try:
        path = parts.path or "/"
        connection.request(
            "POST", f"{path}?{parts.query}" if parts.query else path, body=body, headers=headers
        )
        return connection.getresponse().status
    finally:
        connection.close()


def _addresses(host: str) -> set:
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return set()
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def carried_ipv4(address) -> list:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped (::ffff:a.b.c.d), IPv4-
    compatible (::a.b.c.d), 6to4 (2002::/16), Teredo (2001::/32: its server and client) and
    NAT64 (64:ff9b::/96, 64:ff9b:1::/48, the IPv4 address in the last 32 bits)."""
    if address.version == 4:
        return []
    carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in prefix for prefix in NAT64_PREFIXES):
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if 1 < int(address) < 2**32:
        carried.append(ipaddress.IPv4Address(int(address)))
    return [ipv4 for ipv4 in carried if ipv4 is not None]


def _refusal(address) -> str | None:
    for ipv4 in carried_ipv4(address):
        if reason := _refusal(ipv4):
            return f"{reason} carried in an IPv6 address"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_loopback:
        return None if settings.OUTBOUND_ALLOW_LOOPBACK else "a loopback address"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast address"
    if not address.is_global:
        return None if settings.OUTBOUND_ALLOW_PRIVATE else "a private address"
    return None


def is_local(url: str) -> bool:
    """Whether `url` names this machine or a private network (a local model server)."""
    host = urlsplit(url).hostname
    addresses = _addresses(host) if host else set()
    return bool(addresses) and all(address.is_loopback or not address.is_global for address in addresses)
