"""Privacy-preserving network origin of a viewer event.

An IP address is personal data. The product keeps only keyed hashes (HMAC-SHA256 with
settings.IP_HASH_SECRET) of the address and of its network prefix, which is enough to count
distinct networks and to see accounts sharing one, but not to recover the address.
"""

import csv
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

IPV4_PREFIX = 24
IPV6_PREFIX = 48
HASH_HEX_CHARS = 32  # 128 bits: collisions are negligible at any platform scale
DEFAULT_HOSTING_NETWORKS_FILE = Path(__file__).parent / "data" / "hosting_networks.csv"


@dataclass(frozen=True)
class HostingNetwork:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    provider: str
    kind: str  # "datacenter" or "vpn"


@dataclass(frozen=True)
class NetworkOrigin:
    ip_hash: str
    ip_prefix_hash: str
    hosting: HostingNetwork | None

    @property
    def is_hosting_network(self) -> bool:
        return self.hosting is not None


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Parse an address; IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as the IPv4 address it carries."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def network_prefix(value: str) -> str:
    address = parse_ip(value)
    length = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


def keyed_hash(value: str, *, secret: str | None = None) -> str:
    key = (settings.IP_HASH_SECRET if secret is None else secret).encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]


def network_origin(value: str, *, secret: str | None = None) -> NetworkOrigin:
    address = parse_ip(value)
    return NetworkOrigin(
        ip_hash=keyed_hash(str(address), secret=secret),
        ip_prefix_hash=keyed_hash(network_prefix(str(address)), secret=secret),
        hosting=hosting_networks().lookup(address),
    )


class HostingNetworkIndex:
    """Longest-prefix lookup over a list of networks: one set probe per distinct prefix length."""

    def __init__(self, networks: list[HostingNetwork]):
        self._by_length: dict[tuple[int, int], dict[int, HostingNetwork]] = {}
        for entry in networks:
            key = (entry.network.version, entry.network.prefixlen)
            self._by_length.setdefault(key, {})[int(entry.network.network_address)] = entry
        self._lengths = sorted(self._by_length, key=lambda k: -k[1])
        self.networks = networks

    def lookup(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> HostingNetwork | None:
        bits = 32 if address.version == 4 else 128
        value = int(address)
        for version, length in self._lengths:
            if version != address.version:
                continue
            masked = value >> (bits - length) << (bits - length)
            found = self._by_length[(version, length)].get(masked)
            if found is not None:
                return found
        return None


def load_hosting_networks(path: Path) -> list[HostingNetwork]:
    networks = []
    with path.open(newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for line_number, row in enumerate(rows, start=2):
            kind = (row.get("kind") or "").strip()
            if kind not in {"datacenter", "vpn"}:
                raise ValueError(f"{path}:{line_number}: kind must be 'datacenter' or 'vpn', not {kind!r}")
            try:
                network = ipaddress.ip_network(row["cidr"].strip())
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{line_number}: bad cidr {row.get('cidr')!r}") from exc
            networks.append(HostingNetwork(network, row.get("provider", "").strip(), kind))
    return networks


@lru_cache(maxsize=1)
def hosting_networks() -> HostingNetworkIndex:
    path = Path(getattr(settings, "HOSTING_NETWORKS_FILE", "") or DEFAULT_HOSTING_NETWORKS_FILE)
    return HostingNetworkIndex(load_hosting_networks(path))
