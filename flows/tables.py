"""Every table, priority and cookie of the pipeline, declared once.

Table numbers and names are Neutron's (neutron-lib's ovs_constants), so that
`ovs-ofctl dump-flows br-tun` on a node reads like it does on a Neutron node. Each table carries
the paragraph the README's "Pipeline" section mirrors (tests/unit/test_docs.py keeps them equal).
"""
from __future__ import annotations

from dataclasses import dataclass

from cloud.model import TYPE_GRE, TYPE_VXLAN
from cloud.naming import BR_EX, BR_INT, BR_TUN

# ---------------------------------------------------------------------------------- cookies
# High seven bytes spell "overlay" so a dump shows whose flow it is; the low byte says which
# family. COOKIE_MASK selects all of ours (a restart's cleanup never touches foreign flows).
COOKIE = 0x6F7665726C617900          # every flow the controller installs
COOKIE_LEARNED = 0x6F7665726C617901  # flows br-tun's learn action creates in UCAST_TO_TUN
COOKIE_MASK = 0xFFFFFFFFFFFFFF00

# ------------------------------------------------------------------------------ br-int tables
INT_LOCAL_SWITCHING = 0
ARP_SPOOF = 24
MAC_SPOOF = 25
LOCAL_RESPONDER = 26
ND_ADVERT = 27               # (in both bridges) second half of a neighbour advertisement
TRANSIENT = 60

# ------------------------------------------------------------------------------ br-tun tables
TUN_LOCAL_SWITCHING = 0
PATCH_LV_TO_TUN = 2
GRE_TUN_TO_LV = 3
VXLAN_TUN_TO_LV = 4
LEARN_FROM_TUN = 10
UCAST_TO_TUN = 20
ARP_RESPONDER = 21
FLOOD_TO_TUN = 22

TUN_TO_LV = {TYPE_GRE: GRE_TUN_TO_LV, TYPE_VXLAN: VXLAN_TUN_TO_LV}

# ------------------------------------------------------------------------------- br-ex table
EX_LOCAL_SWITCHING = 0

# ------------------------------------------------------------------------------- priorities
PRIORITY_MISS = 0            # the last flow of a table: drop, or hand on (see Table.miss)
# br-int LOCAL_SWITCHING
PRIORITY_VM_INGRESS = 10     # untagged frame from a VM port: tag with the local VLAN
PRIORITY_TUN_INGRESS = 10    # frame from patch-tun tagged with a local VLAN of this node
# br-int ARP_SPOOF / MAC_SPOOF / LOCAL_RESPONDER
PRIORITY_ARP_ALLOWED = 2     # ARP from a VM port with its own IP and MAC -> MAC_SPOOF
PRIORITY_ARP_SPOOFED = 1     # any other ARP from a VM port: drop
PRIORITY_NA_ALLOWED = 2      # neighbour advertisement from a VM port for its own IPv6
PRIORITY_NA_SPOOFED = 1      # any other neighbour advertisement from a VM port: drop
PRIORITY_MAC_ALLOWED = 1     # frame from a VM port with its own source MAC -> on
PRIORITY_LOCAL_ARP = 1       # ARP request for the IP of a port on this node: answered
PRIORITY_OWN_ARP = 2         # ... unless the port asks about itself (gratuitous ARP, probe)
# responders in both bridges (br-int LOCAL_RESPONDER, br-tun ARP_RESPONDER) and ND_ADVERT
PRIORITY_DAD = 2             # duplicate address detection (NS from ::): never answered
PRIORITY_ND_RESPONSE = 1     # NS for a known IPv6 -> rewritten into an NA -> ND_ADVERT
PRIORITY_ND_ADVERT = 1       # ND_ADVERT: the NA gets the target's link-layer address, sent
# br-int TRANSIENT
PRIORITY_LOCAL_UNICAST = 3   # (local VLAN, MAC of a port on this node) -> that port
PRIORITY_LOCAL_FLOOD = 2     # broadcast/multicast -> every port of the local VLAN + patch-tun
PRIORITY_TO_TUN = 1          # any other unicast of a local VLAN -> patch-tun (remote MAC)
# br-tun
PRIORITY_CLASSIFY = 1        # LOCAL_SWITCHING: by in_port
PRIORITY_SPLIT = 0           # PATCH_LV_TO_TUN: unicast vs multicast (the two cover everything)
PRIORITY_TO_RESPONDER = 1    # PATCH_LV_TO_TUN: broadcast ARP, multicast NS -> ARP_RESPONDER
PRIORITY_TUN_TO_LV = 1       # GRE/VXLAN_TUN_TO_LV: tun_id -> local VLAN
PRIORITY_LEARN = 1           # LEARN_FROM_TUN
PRIORITY_LEARNED = 1         # what the learn action writes into UCAST_TO_TUN
PRIORITY_L2POP_UCAST = 2     # UCAST_TO_TUN: (local VLAN, remote MAC) -> its node's tunnel
PRIORITY_ARP_RESPONSE = 1    # ARP_RESPONDER: a request for a known IP answered in the switch
PRIORITY_FLOOD_TO_TUN = 1    # FLOOD_TO_TUN: one flood flow per local VLAN
PRIORITY_DHCP_TO_SERVER = 2  # FLOOD_TO_TUN: a DHCP request goes to its server's node only

LEARNED_HARD_TIMEOUT = 300   # seconds, as Neutron's learn action


@dataclass(frozen=True)
class Table:
    bridge: str
    id: int
    name: str
    matches: str   # what its flows match on
    next: tuple[int, ...]
    miss: str      # what its PRIORITY_MISS flow does
    doc: str


PIPELINE: tuple[Table, ...] = (
    Table(BR_INT, INT_LOCAL_SWITCHING, "LOCAL_SWITCHING", "in_port, VLAN tag",
          (ARP_SPOOF, TRANSIENT), "drop",
          "Entry of br-int. An untagged frame from a VM port is tagged with the local VLAN of "
          "the port's network (access-port semantics) and goes to ARP_SPOOF; a frame from a VM "
          "port that already carries a tag matches nothing and is dropped. A frame from "
          "patch-tun is accepted only with a local VLAN this node uses, and goes straight to "
          "TRANSIENT. Anything else is dropped."),
    Table(BR_INT, ARP_SPOOF, "ARP_SPOOF", "in_port, ARP sender addresses, NA target",
          (MAC_SPOOF,), "to MAC_SPOOF (neither ARP nor NA)",
          "ARP from a VM port passes only if its sender IP and sender MAC are the port's own; "
          "any other ARP from a VM (a spoofed reply claiming another VM's IP, say) is dropped. "
          "Likewise an IPv6 neighbour advertisement passes only for the port's own IPv6 "
          "addresses (its fixed IPs and the link-local address of its MAC). Other frames go "
          "on."),
    Table(BR_INT, MAC_SPOOF, "MAC_SPOOF", "in_port, source MAC",
          (LOCAL_RESPONDER,), "drop",
          "A frame from a VM port passes only with the port's own source MAC."),
    Table(BR_INT, LOCAL_RESPONDER, "LOCAL_RESPONDER", "local VLAN, ARP request / NS, target "
          "IP", (ND_ADVERT, TRANSIENT), "to TRANSIENT",
          "With L2 population, an ARP request (arp_op=1) or a multicast IPv6 neighbour "
          "solicitation from a VM for an address of another port on this node is answered "
          "here, back to the asking port, and not flooded: the owner is never asked, so it "
          "cannot answer a second time (remote addresses are answered in br-tun's "
          "ARP_RESPONDER). A port's request about its own IP (a gratuitous ARP, as a router "
          "sends when it takes an address, or a probe) is not answered and goes on. The ARP "
          "reply is complete here; the solicitation becomes an advertisement (type 136, flags "
          "solicited and override, addresses swapped, option type target link-layer) and goes "
          "to ND_ADVERT. A duplicate address detection probe "
          "(source ::) is never answered. Everything else goes on."),
    Table(BR_INT, ND_ADVERT, "ND_ADVERT", "local VLAN, NA target",
          (), "drop",
          "Second half of an answer from LOCAL_RESPONDER: writes the target's MAC into the "
          "advertisement's link-layer option, untags it and sends it back out of the asking "
          "port. A separate stage because OVS checks a set-field's prerequisites against the "
          "flow's match, and the target link-layer address exists only in an advertisement. "
          "Only LOCAL_RESPONDER leads here."),
    Table(BR_INT, TRANSIENT, "TRANSIENT", "local VLAN, destination MAC",
          (), "drop",
          "Switching inside a local VLAN with explicit flows where Neutron uses NORMAL: a "
          "destination MAC of a port on this node goes straight to that port untagged (same-host "
          "traffic never reaches br-tun); broadcast and multicast go to every port of the VLAN "
          "and, still tagged, to patch-tun; any other unicast goes to patch-tun for a remote "
          "node. OVS never sends a frame back out of its in_port."),
    Table(BR_TUN, TUN_LOCAL_SWITCHING, "LOCAL_SWITCHING", "in_port",
          (PATCH_LV_TO_TUN, GRE_TUN_TO_LV, VXLAN_TUN_TO_LV), "drop",
          "Entry of br-tun, classifying by in_port: from patch-int to PATCH_LV_TO_TUN, from a "
          "GRE tunnel to GRE_TUN_TO_LV, from a VXLAN tunnel to VXLAN_TUN_TO_LV. Frames from "
          "any other port are dropped."),
    Table(BR_TUN, PATCH_LV_TO_TUN, "PATCH_LV_TO_TUN", "destination MAC group bit, ARP, NS",
          (UCAST_TO_TUN, ARP_RESPONDER, FLOOD_TO_TUN), "(none: two flows cover every frame)",
          "Frames leaving this node: unicast destinations go to UCAST_TO_TUN, broadcast and "
          "multicast to FLOOD_TO_TUN; with L2 population, broadcast ARP and multicast IPv6 "
          "neighbour solicitations go to ARP_RESPONDER first."),
    Table(BR_TUN, GRE_TUN_TO_LV, "GRE_TUN_TO_LV", "tun_id",
          (LEARN_FROM_TUN,), "drop",
          "Frames arriving over GRE: a key that is the segmentation id of a GRE network present "
          "on this node gets that network's local VLAN pushed and goes to LEARN_FROM_TUN. An "
          "unknown key is dropped, so a node cannot inject into networks it is not part of."),
    Table(BR_TUN, VXLAN_TUN_TO_LV, "VXLAN_TUN_TO_LV", "tun_id",
          (LEARN_FROM_TUN,), "drop",
          "The same for VXLAN: VNI of a VXLAN network present on this node -> push its local "
          "VLAN -> LEARN_FROM_TUN; an unknown VNI is dropped."),
    Table(BR_TUN, LEARN_FROM_TUN, "LEARN_FROM_TUN", "(everything)",
          (), "(none)",
          "Sends the frame to br-int through patch-int. Without L2 population it first learns "
          "the sender: it writes into UCAST_TO_TUN a flow (local VLAN, destination MAC = this "
          "frame's source MAC) -> strip the VLAN, set this frame's tun_id, output to the tunnel "
          "it came in on, with a hard timeout of 300 s and the learned-flow cookie. With L2 "
          "population nothing is learned: the controller knows every MAC, and a learned entry "
          "would keep sending to a VM's old node after it moves."),
    Table(BR_TUN, UCAST_TO_TUN, "UCAST_TO_TUN", "local VLAN, destination MAC",
          (FLOOD_TO_TUN,), "to FLOOD_TO_TUN",
          "Unicast to a remote node. With L2 population, one priority-2 flow per MAC of a port "
          "on another node strips the VLAN, sets the network's tun_id and outputs to the tunnel "
          "of that node; without, learned entries (priority 1) do the same. An unknown "
          "destination is flooded like a broadcast."),
    Table(BR_TUN, ARP_RESPONDER, "ARP_RESPONDER", "local VLAN, ARP request / NS, target IP",
          (ND_ADVERT, FLOOD_TO_TUN), "to FLOOD_TO_TUN",
          "With L2 population, an ARP request (arp_op=1, never a reply) for the IP of a port on "
          "another node is answered here: the frame becomes the reply (arp_op=2, the requester "
          "becomes the target, the port's MAC and IP the sender, Ethernet addresses rewritten) "
          "and goes back out of patch-int, so no ARP crosses the data network. An IPv6 "
          "neighbour solicitation for such a port's address becomes the advertisement and goes "
          "to ND_ADVERT; duplicate address detection (source ::) is not answered. Anything "
          "else is flooded."),
    Table(BR_TUN, FLOOD_TO_TUN, "FLOOD_TO_TUN", "local VLAN (DHCP requests)",
          (), "drop",
          "Flooding: one flow per local VLAN strips the VLAN, sets the network's segmentation "
          "id as tun_id and outputs to every tunnel of the network's flood list: with L2 "
          "population the nodes that host the network, without it every tunnel of the "
          "network's type. With L2 population, a DHCP request (UDP to port 67) of a network "
          "with DHCP goes only to the node of its DHCP port. A VLAN with no flood flow is "
          "dropped."),
    Table(BR_TUN, ND_ADVERT, "ND_ADVERT", "local VLAN, NA target",
          (), "drop",
          "Second half of a neighbour advertisement built in ARP_RESPONDER (as in br-int): the "
          "remote port's MAC goes into the target link-layer option and the frame back out of "
          "patch-int, so no neighbour discovery crosses the data network."),
    Table(BR_EX, EX_LOCAL_SWITCHING, "LOCAL_SWITCHING", "(everything)",
          (), "NORMAL",
          "br-ex exists on network nodes only and joins the routers' qg- ports to the external "
          "segment (the node's external NIC). The external network is flat and untagged, so the "
          "bridge is an ordinary MAC-learning switch: one flow, NORMAL, as on a Neutron network "
          "node. The routers' namespaces do the layer-3 work: SNAT to the qg address, floating "
          "IPs, routes."),
)


def table(bridge: str, table_id: int) -> Table:
    for t in PIPELINE:
        if t.bridge == bridge and t.id == table_id:
            return t
    raise KeyError(f"{bridge} has no table {table_id}")


def tables_of(bridge: str) -> tuple[Table, ...]:
    return tuple(t for t in PIPELINE if t.bridge == bridge)
