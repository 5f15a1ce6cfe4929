"""The cloud file's physical networks, the nodes' bridge mappings, and the provider side of
networks (seed 003: VLAN and flat networks on br-ethN).

    physical_networks: [{name, vlan_ranges: ["100:300", ...]}]
    nodes: [{..., bridge_mappings: {PHYSNET: BRIDGE | {bridge: BRIDGE, nic: NIC}}}]
    networks: [{..., type: vlan, physical_network: PHYSNET, segmentation_id: VLAN}]
              [{..., type: flat, physical_network: PHYSNET}]

As Neutron's ML2 checks them: a VLAN or flat network names a known physical network (a tunnel
network names none); a VLAN id is 1-4094 and taken once per physical network, allocated from
the physical network's ranges (the lowest free) when the entry gives none; one flat network per
physical network; and a node hosts a port of such a network only with a bridge mapping for its
physical network (Neutron's agent would bind no port there). A bridge is br-X carrying NIC X
unless the mapping names its NIC.
"""
from __future__ import annotations

import re
from typing import Any

from cloud import model
from cloud import values as v
from cloud.checks import Faults, Spec, entries, first_seen
from cloud.naming import BR_EX, BR_INT, BR_PHY, BR_TUN, IFNAME_MAX_LEN, NODE_NICS

PHYSNET_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,%d}$" % IFNAME_MAX_LEN)
EXTERNAL_PHYSNET = "external"   # the external network's, on br-ex (cloud/neutron.py shows it)
RESERVED_BRIDGES = (BR_INT, BR_TUN, BR_EX, BR_PHY)


def physnet_name(value: Any) -> str:
    value = v.text(value)
    if not PHYSNET_RE.match(value):
        raise ValueError(f"{value!r} is not a physical network name (1-64 of A-Z a-z 0-9 _ . -)")
    return value


def vlan_range(value: Any) -> tuple[int, int]:
    """"FIRST:LAST" (network_vlan_ranges' form), 1 <= FIRST <= LAST <= 4094."""
    if not isinstance(value, str) or value.count(":") != 1:
        raise ValueError(f"{value!r} is not a VLAN range FIRST:LAST (like 100:300)")
    first, last = value.split(":")
    if not (first.isdigit() and last.isdigit()):
        raise ValueError(f"{value!r} is not a VLAN range FIRST:LAST (like 100:300)")
    first, last = int(first), int(last)
    top = model.SEGMENTATION_MAX[model.TYPE_VLAN]
    if not 1 <= first <= last <= top:
        raise ValueError(f"VLAN range {value} is not within 1..{top} with FIRST <= LAST")
    return first, last


PHYSNET: Spec = {
    "name": (True, physnet_name),
    "vlan_ranges": (False, v.one_or_many(vlan_range)),   # none: VLAN ids must be given
}


def physical_networks_of(raw_list: list, faults: Faults
                         ) -> dict[str, model.PhysicalNetwork | None]:
    """name -> physical network; None for a name whose entry has a fault (already reported:
    what refers to it says nothing more)."""
    out: dict[str, model.PhysicalNetwork | None] = {
        e["name"]: None for e in raw_list if isinstance(e, dict) and isinstance(e.get("name"), str)}
    names: dict = {}
    for label, f in entries("physical_networks", raw_list, PHYSNET, faults):
        ok = first_seen(names, f["name"], label, f"physical network {f['name']}", faults)
        if f["name"] == EXTERNAL_PHYSNET:
            faults.add(label, f"physical network name {EXTERNAL_PHYSNET!r} is the external "
                       "network's (br-ex); choose another")
            ok = False
        if ok:
            out[f["name"]] = model.PhysicalNetwork(f["name"], tuple(f.get("vlan_ranges", ())))
    return out


def known(label: str, physnet: str, physnets: dict, faults: Faults) -> bool:
    """Whether `physnet` is a valid physical network; a fault if no entry has that name."""
    if physnet not in physnets:
        valid = [name for name, p in physnets.items() if p is not None]
        faults.add(label, f"unknown physical network {physnet!r} (physical_networks: "
                   f"{', '.join(valid) or 'none'})")
    return physnets.get(physnet) is not None


# ------------------------------------------------------------------------ bridge mappings
def bridge_mappings(label: str, raw: Any, physnets: dict, faults: Faults
                    ) -> tuple[model.BridgeMapping, ...] | None:
    """A node's bridge_mappings (physnet -> bridge, or {bridge, nic}); None after a fault."""
    if not isinstance(raw, dict):
        faults.add(label, f"key 'bridge_mappings': expected a mapping of physical network to "
                   f"bridge, got {type(raw).__name__}")
        return None
    out, bridges, nics, before = [], {}, {}, len(faults.items)
    for physnet, target in raw.items():
        where = f"{label}: bridge_mappings: {physnet}"
        if not known(where, physnet, physnets, faults):
            continue
        if isinstance(target, str):
            target = {"bridge": target}
        fields = faults.fields(where, target, {"bridge": (True, interface),
                                               "nic": (False, interface)})
        if fields is None:
            continue
        bridge = fields["bridge"]
        nic = fields.get("nic") or (bridge[3:] if bridge.startswith("br-") else "")
        if bridge in RESERVED_BRIDGES:
            faults.add(where, f"bridge {bridge} is one of the node's own "
                       f"({', '.join(RESERVED_BRIDGES)})")
        elif not nic:
            faults.add(where, f"bridge {bridge} is not br-<NIC>: name its NIC "
                       "({bridge: ..., nic: ...})")
        elif nic in NODE_NICS:
            faults.add(where, f"NIC {nic} is the node's management, data or external NIC "
                       f"({', '.join(NODE_NICS)})")
        else:
            first_seen(bridges, bridge, where, f"bridge {bridge}", faults)
            first_seen(nics, nic, where, f"NIC {nic}", faults)
            out.append(model.BridgeMapping(physnet, bridge, nic))
    return tuple(out) if len(faults.items) == before else None


def interface(value: Any) -> str:
    value = v.text(value)
    if not IFNAME_RE.match(value):
        raise ValueError(f"{value!r} is not an interface name (1-{IFNAME_MAX_LEN} of "
                         "A-Z a-z 0-9 _ . -)")
    return value


# ------------------------------------------------------------------- provider networks
def check_segment(label: str, f: dict, physnets: dict, segments: dict,
                  faults: Faults) -> bool:
    """A network entry's type, physical_network and segmentation_id; records its segment
    in `segments` ((type, physnet or None, id) -> label) when it has one."""
    kind, physnet, seg = f["type"], f.get("physical_network"), f.get("segmentation_id")
    if kind in model.TUNNEL_TYPES:
        if physnet is not None:
            faults.add(label, f"physical_network is for vlan and flat networks, not {kind}")
            return False
        if seg is None:
            faults.add(label, f"missing key 'segmentation_id' (a {kind} network's "
                       f"{'VNI' if kind == model.TYPE_VXLAN else 'key'})")
            return False
    else:
        if physnet is None:
            faults.add(label, f"a {kind} network needs key 'physical_network'")
            return False
        if not known(label, physnet, physnets, faults):
            return False
        if kind == model.TYPE_FLAT:
            if seg is not None:
                faults.add(label, "a flat network has no segmentation_id (it is untagged)")
                return False
            return first_seen(segments, (kind, physnet, None), label,
                              f"flat network on physical network {physnet} (one each)",
                              faults)
        if seg is None:
            return True   # allocated from the ranges, once every given id is known
    top = model.SEGMENTATION_MAX[kind]
    if not 1 <= seg <= top:
        faults.add(label, f"segmentation_id {seg} out of range for {kind} (1..{top})")
        return False
    what = f"{kind} segmentation_id {seg}" + (f" on physical network {physnet}"
                                              if physnet else "")
    return first_seen(segments, (kind, physnet, seg), label, what, faults)


def allocate_vlan(label: str, physnet: model.PhysicalNetwork, segments: dict,
                  faults: Faults) -> int | None:
    """The lowest VLAN id of the physical network's ranges no network takes (recorded as
    taken), as Neutron allocates a project network's (it picks at random among them)."""
    for first, last in physnet.vlan_ranges:
        for vid in range(first, last + 1):
            if (model.TYPE_VLAN, physnet.name, vid) not in segments:
                segments[(model.TYPE_VLAN, physnet.name, vid)] = label
                return vid
    faults.add(label, f"no segmentation_id given and no free VLAN id in physical network "
               f"{physnet.name}'s vlan_ranges "
               f"({', '.join(f'{a}:{b}' for a, b in physnet.vlan_ranges) or 'none'})")
    return None


def check_port_node(label: str, net: model.Network, node: model.Node, faults: Faults) -> bool:
    """A VLAN or flat network's port is bound only where the node maps its physnet."""
    if net.tunnelled or node.mapping(net.physical_network) is not None:
        return True
    faults.add(label, f"node {node.name} has no bridge mapping for physical network "
               f"{net.physical_network} of {net.type} network {net.name or net.id}")
    return False
