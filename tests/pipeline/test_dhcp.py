"""DHCP through the computed tables: with L2 population a DHCP request leaves the asker's node
only towards its DHCP server's node (the flood list stays for every other broadcast)."""
from cloud import schema
from flows import cloudsim
from flows.flow import BROADCAST_MAC
from flows.simulator import Packet
from tests.conftest import dhcp_raw


def test_dhcp_requests_go_to_the_server_node_only():
    """With DHCP on TenantA-Net (server on the network node): vm-a1's DHCP broadcast leaves
    compute1 only towards the network node; any other broadcast of the network still reaches
    compute2 (vm-a3) too."""
    cloud = schema.parse(dhcp_raw(), "<dhcp>")
    sim = cloudsim.build(cloud)
    a1 = next(p for p in cloud.ports if p.name == "vm-a1")
    common = dict(eth_src=a1.mac, eth_dst=BROADCAST_MAC, eth_type=0x0800, ip_proto=17,
                  ipv4_dst="255.255.255.255")
    request = sim.send_from("compute1", a1.device, Packet.make(
        udp_src=68, udp_dst=67, ipv4_src="0.0.0.0", **common))
    assert {x.remote_node for x in request.transmissions} == {"network"}
    server = next(p for p in cloud.ports if p.device_owner == "network:dhcp")
    assert server.device in request.delivered_to(), "the DHCP port got it"
    other = sim.send_from("compute1", a1.device, Packet.make(
        udp_src=5353, udp_dst=5353, ipv4_src=str(a1.ips[0]), **common))
    assert {x.remote_node for x in other.transmissions} == {"network", "compute2"}
