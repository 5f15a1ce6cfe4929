"""The physical side of a cloud: the fabric (management and data segments), the nodes, and
the physical networks they reach through their bridge mappings (seed 003)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cloud.naming import interface_name


@dataclass(frozen=True)
class Fabric:
    """The physical side: management segment (controller + OVSDB) and data segment (tunnels)."""

    management_cidr: ipaddress.IPv4Network
    controller_ip: ipaddress.IPv4Address
    controller_port: int
    data_cidr: ipaddress.IPv4Network


@dataclass(frozen=True)
class PhysicalNetwork:
    """A physical network (Neutron's physnet): a switch fabric the nodes reach through a NIC
    on an OVS bridge of theirs. VLAN networks take ids from its vlan_ranges (Neutron's
    network_vlan_ranges) when they name none; at most one flat network uses it untagged."""

    name: str
    vlan_ranges: tuple[tuple[int, int], ...] = ()   # (first, last) each


@dataclass(frozen=True)
class BridgeMapping:
    """A node's way onto a physical network (Neutron's bridge_mappings): the OVS bridge, and
    the NIC on it that is cabled to the physical switch."""

    physnet: str
    bridge: str
    nic: str

    @property
    def int_patch(self) -> str:
        """The patch port on br-int towards the bridge: int-<bridge>."""
        return interface_name("int-", self.bridge)

    @property
    def phy_patch(self) -> str:
        """The patch port on the bridge towards br-int: phy-<bridge>."""
        return interface_name("phy-", self.bridge)


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    management_ip: ipaddress.IPv4Address
    tunnel_ip: ipaddress.IPv4Address
    bridge_mappings: tuple[BridgeMapping, ...] = ()

    def __hash__(self) -> int:  # names are unique in a cloud; cheap to hash (tunnel cache)
        return hash(self.name)

    def mapping(self, physnet: str | None) -> BridgeMapping | None:
        return next((m for m in self.bridge_mappings if m.physnet == physnet), None)
