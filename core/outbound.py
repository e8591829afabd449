"""Where the server may send requests on a user's behalf (AI model base URLs).

Only http(s). Link-local and cloud metadata addresses are always refused; loopback only
when OUTBOUND_ALLOW_LOOPBACK is on (the default in DEBUG, for local model servers);
private, shared and reserved ranges only when OUTBOUND_ALLOW_PRIVATE is on. A host name is
checked by what it resolves to, when written and again before each call; a name that does
not resolve now is accepted when written (the call checks it again).
"""

import ipaddress
import socket
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
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Must be an http:// or https:// URL.", code="invalid_scheme")
    for address in _addresses(parts.hostname):
        if reason := _refusal(address):
            raise ValidationError(
                f"{parts.hostname} is {reason} ({address}); the server does not call such addresses.",
                code="forbidden_address",
            )


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


def _refusal(address) -> str | None:
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
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
