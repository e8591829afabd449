"""The outbound address rules, for the IPv4 addresses IPv6 ones carry."""

import pytest
from django.core.exceptions import ValidationError

from core.outbound import carried_ipv4, validate_outbound_url


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:169.254.169.254",  # IPv4-mapped
        "::169.254.169.254",  # IPv4-compatible
        "64:ff9b::a9fe:a9fe",  # NAT64, well-known prefix
        "64:ff9b:1::a9fe:a9fe",  # NAT64, local-use prefix
        "2002:a9fe:a9fe::",  # 6to4
        "2001:0:a9fe:a9fe::1",  # Teredo, the metadata address as its server
    ],
)
def test_the_metadata_address_inside_an_ipv6_one_is_refused(address):
    with pytest.raises(ValidationError, match="cloud metadata address carried in an IPv6 address"):
        validate_outbound_url(f"http://[{address}]/")


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "2002:a00:1::", "::ffff:10.0.0.1"])
def test_a_private_address_inside_an_ipv6_one_is_refused(address, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError, match="private address carried"):
        validate_outbound_url(f"http://[{address}]/")


def test_what_each_form_carries():
    import ipaddress

    assert carried_ipv4(ipaddress.ip_address("64:ff9b::808:808")) == [ipaddress.ip_address("8.8.8.8")]
    assert carried_ipv4(ipaddress.ip_address("2606:4700::1")) == []
    validate_outbound_url("http://[64:ff9b::808:808]/")  # a public address, through NAT64: allowed
