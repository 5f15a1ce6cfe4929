"""The pipeline declared once, table by table: what each table may match on, where its flows
may go, what its last flow does, every priority it uses and what that priority means, and the
paragraph the README's "Pipeline" section mirrors (flows/docs.py generates that section from
here; tests/unit/test_docs.py keeps them equal).

As Faucet's table registry does, a declaration checks the flows built from it: the families
(br_int.py, br_tun.py, br_ex.py, neigh.py) build every flow with `Table.flow` (or
`Table.miss_flow`), and a flow that matches a field its table does not declare, uses an
undeclared priority, goes to a table its table does not lead to, or is an empty-match
priority-0 flow other than the declared miss fails at once with PipelineError, naming the
bridge, table and fault. The numbers themselves (tables, priorities, cookies) are the named
constants of flows/tables.py.
"""
from __future__ import annotations

from cloud.naming import BR_EX, BR_INT, BR_PHYSICAL, BR_TUN
from flows import tables as t
from flows.declare import DROP as DROP
from flows.declare import FIELDS, NORMAL, Miss, Table
from flows.declare import PipelineError as PipelineError
from flows.pipeline_fw import FIREWALL


PIPELINE: tuple[Table, ...] = (
    Table(BR_INT, t.INT_LOCAL_SWITCHING, 'LOCAL_SWITCHING',
          fields=FIELDS('in_port', 'vlan_vid'),
          next=(t.ARP_SPOOF, t.LOCAL_RESPONDER, t.TRANSIENT), miss=DROP,
          priorities=(
              (t.PRIORITY_VM_INGRESS,
               "untagged frame from a VM port: tagged with its network's local VLAN -> "
               'ARP_SPOOF (without port security: LOCAL_RESPONDER)'),
              (t.PRIORITY_TUN_INGRESS,
               'from patch-tun with a local VLAN of this node -> TRANSIENT'),
              (t.PRIORITY_PHYS_INGRESS,
               'from int-br-ethN with the provider VLAN of a network of this node (untagged: '
               'its flat network): its local VLAN instead -> TRANSIENT'),
              (t.PRIORITY_PHYS_DROP, 'anything else from int-br-ethN: dropped'),
              (t.PRIORITY_MISS, 'anything else, a tagged frame from a VM among it: dropped'),
          ),
          doc=(
              'Entry of br-int. An untagged frame from a VM port is tagged with the local VLAN '
              "of the port's network (access-port semantics) and goes to ARP_SPOOF, or, for a "
              'port with port security disabled, past the anti-spoofing tables to '
              'LOCAL_RESPONDER; a frame from a VM port that already carries a tag matches '
              'nothing and is dropped. A frame from patch-tun is accepted only with a local '
              'VLAN this node uses, and goes straight to TRANSIENT. A frame from a physical '
              'bridge (int-br-ethN) is accepted only with the provider VLAN id of a VLAN '
              "network of this node on that physical network, which becomes the network's "
              'local VLAN, or untagged for its flat network, which gets the local VLAN pushed; '
              'it goes to TRANSIENT too. Anything else is dropped.'
          )),
    Table(BR_INT, t.ARP_SPOOF, 'ARP_SPOOF',
          fields=FIELDS('in_port', 'eth_type', 'arp_spa', 'arp_sha',
                       'ip_proto', 'icmpv6_type', 'ipv6_nd_target'),
          next=(t.MAC_SPOOF,), miss=Miss(goto=t.MAC_SPOOF),
          priorities=(
              (t.PRIORITY_ARP_ALLOWED,
               "ARP with the port's own IP and MAC, an NA for one of its own IPv6 "
               'addresses -> MAC_SPOOF'),
              (t.PRIORITY_ARP_SPOOFED, 'any other ARP or NA from a VM port: dropped'),
              (t.PRIORITY_MISS, 'neither ARP nor NA -> MAC_SPOOF'),
          ),
          doc=(
              "ARP from a VM port passes only if its sender IP and sender MAC are the port's "
              "own; any other ARP from a VM (a spoofed reply claiming another VM's IP, say) is "
              "dropped. Likewise an IPv6 neighbour advertisement passes only for the port's own "
              'IPv6 addresses (its fixed IPs and the link-local address of its MAC). Other '
              'frames go on.'
          )),
    Table(BR_INT, t.MAC_SPOOF, 'MAC_SPOOF',
          fields=FIELDS('in_port', 'eth_src'),
          next=(t.LOCAL_RESPONDER,), miss=DROP,
          priorities=(
              (t.PRIORITY_MAC_ALLOWED, "the port's own source MAC -> LOCAL_RESPONDER"),
              (t.PRIORITY_MISS, 'any other source MAC: dropped'),
          ),
          doc=(
              "A frame from a VM port passes only with the port's own source MAC."
          )),
    Table(BR_INT, t.LOCAL_RESPONDER, 'LOCAL_RESPONDER',
          fields=FIELDS('in_port', 'vlan_vid', 'eth_type', 'eth_dst', 'arp_op',
                       'arp_tpa', 'ip_proto', 'icmpv6_type', 'ipv6_nd_target', 'ipv6_src'),
          next=(t.ND_ADVERT, t.TRANSIENT), miss=Miss(goto=t.TRANSIENT),
          priorities=(
              (t.PRIORITY_OWN_ARP,
               "a port's ARP about its own IP, duplicate address detection (NS from "
               '::): not answered -> TRANSIENT'),
              (t.PRIORITY_LOCAL_ARP,
               'an ARP request for a port of this node: answered to the asker; an NS '
               'for one: made the advertisement -> ND_ADVERT'),
              (t.PRIORITY_MISS, 'anything else -> TRANSIENT'),
          ),
          doc=(
              'With L2 population, an ARP request (arp_op=1) or a multicast IPv6 neighbour '
              'solicitation from a VM for an address of another port on this node is answered '
              'here, back to the asking port, and not flooded: the owner is never asked, so it '
              "cannot answer a second time (remote addresses are answered in br-tun's "
              "ARP_RESPONDER). A port's request about its own IP (a gratuitous ARP, as a router "
              'sends when it takes an address, or a probe) is not answered and goes on. The ARP '
              'reply is complete here; the solicitation becomes an advertisement (type 136, '
              'flags solicited and override, addresses swapped, option type target link-layer) '
              'and goes to ND_ADVERT. A duplicate address detection probe (source ::) is never '
              'answered. Everything else goes on.'
          )),
    Table(BR_INT, t.ND_ADVERT, 'ND_ADVERT',
          fields=FIELDS('vlan_vid', 'eth_type', 'ip_proto',
                       'icmpv6_type', 'ipv6_nd_target'),
          next=(), miss=DROP,
          priorities=(
              (t.PRIORITY_ND_ADVERT,
               "an advertisement from LOCAL_RESPONDER: the target's MAC, back to the "
               'asker'),
              (t.PRIORITY_MISS, 'anything else: dropped'),
          ),
          doc=(
              "Second half of an answer from LOCAL_RESPONDER: writes the target's MAC into the "
              "advertisement's link-layer option, untags it and sends it back out of the asking "
              "port. A separate stage because OVS checks a set-field's prerequisites against "
              "the flow's match, and the target link-layer address exists only in an "
              'advertisement. Only LOCAL_RESPONDER leads here.'
          )),
    Table(BR_INT, t.TRANSIENT, 'TRANSIENT',
          fields=FIELDS('in_port', 'vlan_vid', 'eth_dst'),
          next=(t.BASE_EGRESS, t.ACCEPT_OR_INGRESS, t.BASE_INGRESS,
                t.ACCEPTED_EGRESS_TRAFFIC_NORMAL),
          miss=Miss(goto=t.ACCEPTED_EGRESS_TRAFFIC_NORMAL),
          priorities=(
              (t.PRIORITY_FW_EGRESS,
               'from a port of this node: reg5 = its ofport, reg6 = its local VLAN -> '
               'BASE_EGRESS (a filtered port), ACCEPT_OR_INGRESS (a trusted one)'),
              (t.PRIORITY_FW_INGRESS,
               '(local VLAN, MAC of a filtered port of this node): untagged, reg5, reg6 -> '
               'BASE_INGRESS'),
              (t.PRIORITY_MISS, 'anything else (broadcast, multicast, to a trusted or remote '
               'port) -> ACCEPTED_EGRESS_TRAFFIC_NORMAL'),
          ),
          doc=(
              "The firewall's classifier (Neutron's openvswitch firewall driver). A frame sent "
              'by a port of this node gets the port in reg5 and its local VLAN in reg6 (which '
              'is also the conntrack zone: one per network per node) and goes to its egress '
              "pipeline: BASE_EGRESS for a filtered port (a VM's, with port security), "
              "ACCEPT_OR_INGRESS for a trusted one (Neutron's DHCP and router ports, a port "
              'without port security). A frame for the MAC (or an allowed address pair MAC) of '
              'a filtered port of this node, from patch-tun, is untagged and goes to that '
              "port's ingress pipeline, BASE_INGRESS. Everything else goes straight to "
              'switching.'
          )),
    *FIREWALL,
    Table(BR_INT, t.ACCEPTED_EGRESS_TRAFFIC_NORMAL, 'ACCEPTED_EGRESS_TRAFFIC_NORMAL',
          fields=FIELDS('vlan_vid', 'eth_dst'),
          next=(), miss=DROP,
          priorities=(
              (t.PRIORITY_LOCAL_UNICAST,
               '(local VLAN, MAC of a port on this node): untagged to that port'),
              (t.PRIORITY_LOCAL_FLOOD,
               'broadcast and multicast of a local VLAN: to its ports and its uplink'),
              (t.PRIORITY_TO_UPLINK, 'any other unicast of a local VLAN: to its uplink'),
              (t.PRIORITY_MISS, 'a VLAN this node does not use: dropped'),
          ),
          doc=(
              'Switching inside a local VLAN, of what the firewall accepted or did not need to '
              'see, with explicit flows where Neutron uses NORMAL (its '
              "explicitly_egress_direct): a destination MAC of a port on this node goes "
              'straight to that port untagged (same-host traffic never reaches br-tun); '
              "broadcast and multicast go to every port of the VLAN and, still tagged, to the "
              "network's uplink; any other unicast goes to the uplink for a remote node. The "
              'uplink is patch-tun for a VXLAN or GRE network, int-br-ethN of its physical '
              'network for a VLAN or flat one. OVS never sends a frame back out of its in_port.'
          )),
    Table(BR_TUN, t.TUN_LOCAL_SWITCHING, 'LOCAL_SWITCHING',
          fields=FIELDS('in_port'),
          next=(t.PATCH_LV_TO_TUN, t.GRE_TUN_TO_LV, t.VXLAN_TUN_TO_LV), miss=DROP,
          priorities=(
              (t.PRIORITY_CLASSIFY,
               "from patch-int -> PATCH_LV_TO_TUN; from a tunnel -> its type's table"),
              (t.PRIORITY_MISS, 'from any other port: dropped'),
          ),
          doc=(
              'Entry of br-tun, classifying by in_port: from patch-int to PATCH_LV_TO_TUN, from '
              'a GRE tunnel to GRE_TUN_TO_LV, from a VXLAN tunnel to VXLAN_TUN_TO_LV. Frames '
              'from any other port are dropped.'
          )),
    Table(BR_TUN, t.PATCH_LV_TO_TUN, 'PATCH_LV_TO_TUN',
          fields=FIELDS('eth_dst', 'eth_type', 'ip_proto', 'icmpv6_type'),
          next=(t.UCAST_TO_TUN, t.ARP_RESPONDER, t.FLOOD_TO_TUN), miss=None,
          priorities=(
              (t.PRIORITY_TO_RESPONDER,
               'with L2 population, broadcast ARP and multicast NS -> ARP_RESPONDER'),
              (t.PRIORITY_SPLIT,
               'unicast -> UCAST_TO_TUN; broadcast, multicast -> FLOOD_TO_TUN (two '
               'flows: every frame)'),
          ),
          doc=(
              'Frames leaving this node: unicast destinations go to UCAST_TO_TUN, broadcast and '
              'multicast to FLOOD_TO_TUN; with L2 population, broadcast ARP and multicast IPv6 '
              'neighbour solicitations go to ARP_RESPONDER first.'
          )),
    Table(BR_TUN, t.GRE_TUN_TO_LV, 'GRE_TUN_TO_LV',
          fields=FIELDS('tunnel_id'),
          next=(t.LEARN_FROM_TUN,), miss=DROP,
          priorities=(
              (t.PRIORITY_TUN_TO_LV,
               'the key of a GRE network of this node: its local VLAN pushed -> '
               'LEARN_FROM_TUN'),
              (t.PRIORITY_MISS, 'an unknown key: dropped'),
          ),
          doc=(
              'Frames arriving over GRE: a key that is the segmentation id of a GRE network '
              "present on this node gets that network's local VLAN pushed and goes to "
              'LEARN_FROM_TUN. An unknown key is dropped, so a node cannot inject into networks '
              'it is not part of.'
          )),
    Table(BR_TUN, t.VXLAN_TUN_TO_LV, 'VXLAN_TUN_TO_LV',
          fields=FIELDS('tunnel_id'),
          next=(t.LEARN_FROM_TUN,), miss=DROP,
          priorities=(
              (t.PRIORITY_TUN_TO_LV,
               'the VNI of a VXLAN network of this node: its local VLAN pushed -> '
               'LEARN_FROM_TUN'),
              (t.PRIORITY_MISS, 'an unknown VNI: dropped'),
          ),
          doc=(
              'The same for VXLAN: VNI of a VXLAN network present on this node -> push its '
              'local VLAN -> LEARN_FROM_TUN; an unknown VNI is dropped.'
          )),
    Table(BR_TUN, t.LEARN_FROM_TUN, 'LEARN_FROM_TUN',
          fields=FIELDS(),
          next=(), miss=None,
          priorities=(
              (t.PRIORITY_LEARN,
               'everything: to patch-int (without L2 population, after learning the '
               'sender)'),
          ),
          doc=(
              'Sends the frame to br-int through patch-int. Without L2 population it first '
              'learns the sender: it writes into UCAST_TO_TUN a flow (local VLAN, destination '
              "MAC = this frame's source MAC) -> strip the VLAN, set this frame's tun_id, "
              'output to the tunnel it came in on, with a hard timeout of 300 s and the '
              'learned-flow cookie. With L2 population nothing is learned: the controller knows '
              "every MAC, and a learned entry would keep sending to a VM's old node after it "
              'moves.'
          )),
    Table(BR_TUN, t.UCAST_TO_TUN, 'UCAST_TO_TUN',
          fields=FIELDS('vlan_vid', 'eth_dst'),
          next=(t.FLOOD_TO_TUN,), miss=Miss(goto=t.FLOOD_TO_TUN),
          priorities=(
              (t.PRIORITY_L2POP_UCAST,
               "with L2 population, a remote port's MAC: to its node's tunnel"),
              (t.PRIORITY_LEARNED,
               'without, what the learn action wrote, the same (hard timeout 300 s)'),
              (t.PRIORITY_MISS, 'an unknown destination -> FLOOD_TO_TUN'),
          ),
          doc=(
              'Unicast to a remote node. With L2 population, one priority-2 flow per MAC of a '
              "port on another node strips the VLAN, sets the network's tun_id and outputs to "
              'the tunnel of that node; without, learned entries (priority 1) do the same. An '
              'unknown destination is flooded like a broadcast.'
          )),
    Table(BR_TUN, t.ARP_RESPONDER, 'ARP_RESPONDER',
          fields=FIELDS('vlan_vid', 'eth_type', 'eth_dst', 'arp_op', 'arp_tpa',
                       'ip_proto', 'icmpv6_type', 'ipv6_nd_target', 'ipv6_src'),
          next=(t.ND_ADVERT, t.FLOOD_TO_TUN), miss=Miss(goto=t.FLOOD_TO_TUN),
          priorities=(
              (t.PRIORITY_DAD,
               'duplicate address detection (NS from ::): not answered -> FLOOD_TO_TUN'),
              (t.PRIORITY_ARP_RESPONSE,
               'an ARP request for a remote port: answered out of patch-int; an NS for '
               'one: made the advertisement -> ND_ADVERT'),
              (t.PRIORITY_MISS, 'anything else -> FLOOD_TO_TUN'),
          ),
          doc=(
              'With L2 population, an ARP request (arp_op=1, never a reply) for the IP of a '
              'port on another node is answered here: the frame becomes the reply (arp_op=2, '
              "the requester becomes the target, the port's MAC and IP the sender, Ethernet "
              'addresses rewritten) and goes back out of patch-int, so no ARP crosses the data '
              "network. An IPv6 neighbour solicitation for such a port's address becomes the "
              'advertisement and goes to ND_ADVERT; duplicate address detection (source ::) is '
              'not answered. Anything else is flooded.'
          )),
    Table(BR_TUN, t.FLOOD_TO_TUN, 'FLOOD_TO_TUN',
          fields=FIELDS('vlan_vid', 'eth_type', 'ip_proto', 'udp_dst'),
          next=(), miss=DROP,
          priorities=(
              (t.PRIORITY_DHCP_TO_SERVER,
               "with L2 population, a DHCP request: only to the node of the network's "
               'DHCP port'),
              (t.PRIORITY_FLOOD_TO_TUN,
               "a local VLAN: to every tunnel of the network's flood list"),
              (t.PRIORITY_MISS, 'a VLAN with no flood list: dropped'),
          ),
          doc=(
              "Flooding: one flow per local VLAN strips the VLAN, sets the network's "
              "segmentation id as tun_id and outputs to every tunnel of the network's flood "
              'list: with L2 population the nodes that host the network, without it every '
              "tunnel of the network's type. With L2 population, a DHCP request (UDP to port "
              '67) of a network with DHCP goes only to the node of its DHCP port. A VLAN with '
              'no flood flow is dropped.'
          )),
    Table(BR_TUN, t.ND_ADVERT, 'ND_ADVERT',
          fields=FIELDS('vlan_vid', 'eth_type', 'ip_proto',
                       'icmpv6_type', 'ipv6_nd_target'),
          next=(), miss=DROP,
          priorities=(
              (t.PRIORITY_ND_ADVERT,
               "an advertisement from ARP_RESPONDER: the remote port's MAC, out of "
               'patch-int'),
              (t.PRIORITY_MISS, 'anything else: dropped'),
          ),
          doc=(
              'Second half of a neighbour advertisement built in ARP_RESPONDER (as in br-int): '
              "the remote port's MAC goes into the target link-layer option and the frame back "
              'out of patch-int, so no neighbour discovery crosses the data network.'
          )),
    Table(BR_EX, t.EX_LOCAL_SWITCHING, 'LOCAL_SWITCHING',
          fields=FIELDS(),
          next=(), miss=NORMAL,
          priorities=(
              (t.PRIORITY_MISS, 'everything: NORMAL (MAC learning)'),
          ),
          doc=(
              "br-ex exists on network nodes only and joins the routers' qg- ports to the "
              "external segment (the node's external NIC). The external network is flat and "
              'untagged, so the bridge is an ordinary MAC-learning switch: one flow, NORMAL, as '
              "on a Neutron network node. The routers' namespaces do the layer-3 work: SNAT to "
              'the qg address, floating IPs, routes.'
          )),
    Table(BR_PHYSICAL, t.PHYS_LOCAL_SWITCHING, 'LOCAL_SWITCHING',
          fields=FIELDS('in_port', 'vlan_vid'),
          next=(), miss=NORMAL,
          priorities=(
              (t.PRIORITY_LV_TO_PROVIDER,
               'from phy-br-ethN with the local VLAN of a network of this node on this '
               'physical network: its provider VLAN instead (flat: untagged), NORMAL'),
              (t.PRIORITY_PHYS_DROP, 'anything else from phy-br-ethN: dropped'),
              (t.PRIORITY_MISS, 'everything else, the NIC\'s frames among it: NORMAL'),
          ),
          doc=(
              'A physical bridge (br-eth1, ..., one per bridge mapping of the node, seed 003) '
              "joins br-int, through the patch pair int-br-ethN/phy-br-ethN, to the NIC cabled "
              "to the physical network's switch. A frame from br-int carries a local VLAN: for "
              'each VLAN network of this node on this physical network, its local VLAN is '
              'rewritten to the provider VLAN id (segmentation id), for its flat network the '
              'tag is stripped, and NORMAL sends it on to the wire; any other frame from '
              'br-int is dropped. Frames from the wire go by NORMAL to br-int, which translates '
              'back in its table 0. Local VLANs differ between nodes; the provider VLAN is the '
              'same everywhere.'
          )),
)

BY_KEY = {(tb.bridge, tb.id): tb for tb in PIPELINE}
INT = {tb.id: tb for tb in PIPELINE if tb.bridge == BR_INT}   # br-int's tables by id
TUN = {tb.id: tb for tb in PIPELINE if tb.bridge == BR_TUN}   # br-tun's
EX = {tb.id: tb for tb in PIPELINE if tb.bridge == BR_EX}     # br-ex's
PHYS = {tb.id: tb for tb in PIPELINE if tb.bridge == BR_PHYSICAL}   # every br-ethN's


def table(bridge: str, table_id: int) -> Table:
    try:
        return BY_KEY[(bridge, table_id)]
    except KeyError:
        raise KeyError(f"{bridge} has no table {table_id}") from None


def tables_of(bridge: str) -> tuple[Table, ...]:
    return tuple(tb for tb in PIPELINE if tb.bridge == bridge)
