import pytest

from integrity.network import (
    HostingNetworkIndex,
    keyed_hash,
    load_hosting_networks,
    network_origin,
    network_prefix,
)


def test_the_ip_is_never_stored_only_keyed_hashes():
    origin = network_origin("81.2.69.160")
    assert "81.2.69.160" not in (origin.ip_hash + origin.ip_prefix_hash)
    assert len(origin.ip_hash) == len(origin.ip_prefix_hash) == 32
    assert origin.ip_hash == network_origin("81.2.69.160").ip_hash


def test_hashes_depend_on_the_secret():
    assert keyed_hash("81.2.69.160", secret="a") != keyed_hash("81.2.69.160", secret="b")


def test_addresses_in_one_slash_24_share_a_prefix_hash_but_not_an_ip_hash():
    one, two, other = network_origin("81.2.69.160"), network_origin("81.2.69.7"), network_origin("81.2.70.1")
    assert one.ip_prefix_hash == two.ip_prefix_hash != other.ip_prefix_hash
    assert one.ip_hash != two.ip_hash


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("81.2.69.160", "81.2.69.0/24"),
        ("2a02:1234:5678:9abc::1", "2a02:1234:5678::/48"),
        ("::ffff:81.2.69.160", "81.2.69.0/24"),
        (" 81.2.69.160 ", "81.2.69.0/24"),
    ],
)
def test_prefixes_are_slash_24_for_ipv4_and_slash_48_for_ipv6(address, prefix):
    assert network_prefix(address) == prefix


def test_ipv4_mapped_ipv6_counts_as_the_ipv4_address():
    assert network_origin("::ffff:81.2.69.160") == network_origin("81.2.69.160")


@pytest.mark.parametrize("bad", ["", "999.1.1.1", "81.2.69", "not-an-ip", "81.2.69.160/24"])
def test_malformed_addresses_are_refused_clearly(bad):
    with pytest.raises(ValueError, match="not an IPv4 or IPv6 address"):
        network_origin(bad)


@pytest.mark.parametrize(
    ("address", "provider", "kind"),
    [
        ("159.65.21.10", "DigitalOcean", "datacenter"),
        ("3.5.140.2", "Amazon Web Services", "datacenter"),
        ("54.36.1.1", "OVHcloud", "datacenter"),
        ("37.120.200.10", "M247 (VPN exit nodes)", "vpn"),
        ("2a01:4f8:1c1c::1", "Hetzner", "datacenter"),
    ],
)
def test_data_centre_and_vpn_ranges_are_recognised(address, provider, kind):
    hosting = network_origin(address).hosting
    assert hosting is not None
    assert (hosting.provider, hosting.kind) == (provider, kind)


@pytest.mark.parametrize("address", ["81.2.69.160", "24.17.3.9", "2a02:1234:5678:9abc::1"])
def test_residential_addresses_are_not_hosting(address):
    assert network_origin(address).is_hosting_network is False


def test_the_most_specific_range_wins(tmp_path):
    path = tmp_path / "ranges.csv"
    path.write_text("cidr,provider,kind\n10.0.0.0/8,Big,datacenter\n10.1.0.0/16,Small,vpn\n")
    index = HostingNetworkIndex(load_hosting_networks(path))
    from ipaddress import ip_address

    assert index.lookup(ip_address("10.1.2.3")).provider == "Small"
    assert index.lookup(ip_address("10.2.2.3")).provider == "Big"
    assert index.lookup(ip_address("11.0.0.1")) is None


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("cidr,provider,kind\n10.0.0.0/33,X,datacenter\n", "bad cidr"),
        ("cidr,provider,kind\n10.0.0.0/8,X,hosting\n", "kind must be"),
    ],
)
def test_a_malformed_ranges_file_is_refused_with_its_line(tmp_path, content, error):
    path = tmp_path / "ranges.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"ranges.csv:2: {error}"):
        load_hosting_networks(path)
