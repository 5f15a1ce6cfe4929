"""The simulator's records (flows/simulator.py): the packet, and what it reports of one: the
flows it hit, where it entered each node, where copies of it were delivered, tunnelled or put
on a physical network, and where copies went no further."""
from __future__ import annotations

from dataclasses import dataclass, field
from flows.flow import OFPVID_PRESENT, Flow

# what a packet entering a bridge carries besides its headers: untagged, no tunnel, the
# registers zero, not tracked
METADATA = ("vlan_tci", "tunnel_id", "reg5", "reg6", "reg7", "ct_state", "ct_zone", "ct_mark",
            "conj_id")


@dataclass
class Packet:
    """Header fields by OXM name, plus vlan_tci (0 = untagged, else 0x1000 | VLAN id)."""
    fields: dict

    @classmethod
    def make(cls, **fields) -> Packet:
        for name in METADATA:
            fields.setdefault(name, 0)
        return cls(dict(fields))

    def get(self, name: str):
        if name == "vlan_vid":
            return self.fields["vlan_tci"] & (OFPVID_PRESENT | 0xFFF)
        return self.fields.get(name)

    def copy(self) -> Packet:
        return Packet(dict(self.fields))


@dataclass(frozen=True)
class Hit:
    node: str
    bridge: str
    flow: Flow
    segment: int = 0   # the Entry (Result.entries) whose pass through the node it is in


@dataclass(frozen=True)
class Entry:
    """Where the packet entered a node: injected, from a tunnel, from a physical network
    (ofproto/trace of that node, from here, follows its patch ports: one segment)."""
    node: str
    bridge: str
    in_port: int
    packet: Packet


@dataclass(frozen=True)
class End:
    """Where a copy of the packet went no further: a table miss (flow None), a flow that
    outputs nowhere ("drop"), or only back out of its in_port ("in_port")."""
    node: str
    bridge: str
    table: int
    flow: Flow | None
    kind: str          # "miss" | "drop" | "in_port"
    packet: Packet
    segment: int = 0


@dataclass(frozen=True)
class Delivery:
    node: str
    port: str      # the port's name (a VM's tap device)
    packet: Packet


@dataclass(frozen=True)
class Transmission:
    node: str
    tunnel: str
    remote_node: str
    tunnel_id: int


@dataclass(frozen=True)
class WireFrame:
    """A frame a node's NIC put on a physical network (vlan_tci: its 802.1Q tag, 0 none)."""
    node: str
    physnet: str
    vlan_tci: int


@dataclass
class Result:
    hits: list[Hit] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    transmissions: list[Transmission] = field(default_factory=list)
    wire: list[WireFrame] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    ends: list[End] = field(default_factory=list)

    def delivered_to(self) -> list[str]:
        return sorted(d.port for d in self.deliveries)

    def tables(self, node: str, bridge: str) -> list[int]:
        return [h.flow.table for h in self.hits if h.node == node and h.bridge == bridge]
