"""What every resource of the cloud carries besides its own fields, and the address types."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# The project of everything no request names a project for (Keystone ids are 32 hex digits).
DEFAULT_PROJECT = "6f7665726c6179000000000000000000"


@dataclass(frozen=True)
class Meta:
    """What Neutron keeps on every resource and this cloud only shows: its description, its
    project and its tags."""

    description: str = ""
    project_id: str = DEFAULT_PROJECT
    tags: tuple[str, ...] = ()


NO_META = Meta()
