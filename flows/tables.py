"""Every table, priority and cookie number of the pipeline, as named constants, once.

Table numbers and names are Neutron's (neutron-lib's ovs_constants), so that
`ovs-ofctl dump-flows br-tun` on a node reads like it does on a Neutron node. What each table
matches, where it leads, its last flow and what each of its priorities means is declared in
flows/pipeline.py, which checks every flow built against it.
"""
from __future__ import annotations

from cloud.model import TYPE_GRE, TYPE_VXLAN

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
TRANSIENT = 60               # the firewall's classifier: egress, ingress, or on to switching
# Neutron's openvswitch firewall (neutron-lib ovs_constants)
BASE_EGRESS = 71
RULES_EGRESS = 72
ACCEPT_OR_INGRESS = 73
BASE_INGRESS = 81
RULES_INGRESS = 82
ACCEPTED_EGRESS_TRAFFIC = 91
ACCEPTED_INGRESS_TRAFFIC = 92
DROPPED_TRAFFIC = 93
ACCEPTED_EGRESS_TRAFFIC_NORMAL = 94   # switching inside a local VLAN (explicit flows)

# the firewall's registers (neutron-lib agent constants) and its conntrack zone
REG_PORT = "reg5"            # the ofport of the VM port a packet is filtered for
REG_NET = "reg6"             # the network's local VLAN, also the conntrack zone
REG_REMOTE_GROUP = "reg7"    # the conjunction id of the remote-group rule that accepted it
CT_MARK_CUT = 1              # a connection no rule allows any more: its packets dropped

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

# ------------------------------------------------- a physical bridge's table (br-ethN, seed 003)
PHYS_LOCAL_SWITCHING = 0

# ------------------------------------------------------------------------------- priorities
PRIORITY_MISS = 0            # the last flow of a table: drop, or hand on (see Table.miss)
# br-int LOCAL_SWITCHING
PRIORITY_VM_INGRESS = 10     # untagged frame from a VM port: tag with the local VLAN
PRIORITY_TUN_INGRESS = 10    # frame from patch-tun tagged with a local VLAN of this node
PRIORITY_PHYS_INGRESS = 3    # from int-br-ethN with a network's provider VLAN (or untagged,
                             # flat): its local VLAN instead (Neutron's priority)
PRIORITY_PHYS_DROP = 2       # anything else from int-br-ethN (br-int) or phy-br-ethN (br-ethN)
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
# br-int TRANSIENT (the firewall's classifier)
PRIORITY_FW_EGRESS = 100     # from a port of this node: its egress (trusted: straight on)
PRIORITY_FW_INGRESS = 90     # to the MAC of a filtered port of this node: its ingress
# br-int firewall tables (Neutron's priorities)
PRIORITY_FW_ND = 95          # BASE_EGRESS: ARP, ND, MLD from a VM (checked in 24/25) -> 94
PRIORITY_FW_DHCP_CLIENT = 80  # BASE_EGRESS: the port's DHCP(v6) requests -> 73
PRIORITY_FW_SERVER = 70      # BASE_EGRESS: a VM as DHCP(v6) server or router (RA): dropped
PRIORITY_FW_SOURCE = 65      # BASE_EGRESS: the port's own source addresses -> conntrack
PRIORITY_FW_STATE = 50       # RULES_*: invalid, cut (ct_mark 1), replies and related
PRIORITY_FW_RULE = 70        # RULES_*: + offset (0..7) by kind of rule, Neutron's layout
PRIORITY_FW_NO_RULE = 40     # RULES_*: no rule allows it: dropped, an established one cut
PRIORITY_FW_TO_LOCAL = 100   # ACCEPT_OR_INGRESS: to a filtered port of this node: ingress
PRIORITY_FW_COMMIT = 90      # ACCEPT_OR_INGRESS: the first packet: committed -> 91
PRIORITY_FW_ACCEPT = 80      # ACCEPT_OR_INGRESS: on to switching
PRIORITY_FW_IN_ALWAYS = 100  # BASE_INGRESS: ARP, ND, RA to a VM: delivered
PRIORITY_FW_IN_DHCP = 95     # BASE_INGRESS: DHCP(v6) replies to a VM: delivered
PRIORITY_FW_IN_TRACK = 90    # BASE_INGRESS: not tracked yet: conntrack -> 82
PRIORITY_FW_IN_RULES = 80    # BASE_INGRESS: tracked (on this node's egress): -> 82
# br-int ACCEPTED_EGRESS_TRAFFIC_NORMAL (switching)
PRIORITY_LOCAL_UNICAST = 3   # (local VLAN, MAC of a port on this node) -> that port
PRIORITY_LOCAL_FLOOD = 2     # broadcast/multicast -> every port of the local VLAN + patch-tun
PRIORITY_TO_UPLINK = 1       # any other unicast of a local VLAN -> its uplink (remote MAC):
                             # patch-tun, or int-br-ethN for a VLAN or flat network
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

# br-ethN (Neutron's priorities)
PRIORITY_LV_TO_PROVIDER = 4  # from phy-br-ethN with a local VLAN: the provider VLAN (or
                             # untagged, flat), NORMAL onto the physical network

LEARNED_HARD_TIMEOUT = 300   # seconds, as Neutron's learn action
