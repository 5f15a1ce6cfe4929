"""`overlay graph --counters`: packet counts from the emulated cloud's switches, by the
picture's ids (controller/graph.py): each tunnel's packets each way, each port's received
and sent (as its br-int port counts them: what br-int sent to it is what it received)."""
from __future__ import annotations

import re

from cloud.model import Cloud
from cloud.naming import BR_INT, BR_TUN, tunnel_port_name
from controller.graph import tunnel_ids
from mininet_topos.ovs import OvsInstance

PORT = re.compile(r"port\s+(\d+): rx pkts=(\d+).*?tx pkts=(\d+)", re.S)


def port_stats(ovs: OvsInstance, bridge: str) -> dict[str, tuple[int, int]]:
    """Port name -> (rx, tx) packets, as the bridge counts them."""
    names = {no: name for name, no in ovs.ofports(bridge).items()}
    text = ovs.ofctl("dump-ports", bridge, "--no-names")
    return {names[int(no)]: (int(rx), int(tx)) for no, rx, tx in PORT.findall(text)
            if int(no) in names}


def counters(cloud: Cloud, switches: dict[str, OvsInstance]) -> dict[str, str]:
    out = {}
    tun = {n: port_stats(ovs, BR_TUN) for n, ovs in switches.items()}
    for ident, kind, a, b in tunnel_ids(cloud):
        a_to_b = tun.get(a, {}).get(tunnel_port_name(kind, cloud.node(b).tunnel_ip), (0, 0))[1]
        b_to_a = tun.get(b, {}).get(tunnel_port_name(kind, cloud.node(a).tunnel_ip), (0, 0))[1]
        out[ident] = f"{a}->{b} {a_to_b} pkts, {b}->{a} {b_to_a} pkts"
    for node, ovs in switches.items():
        stats = port_stats(ovs, BR_INT)
        for port in cloud.ports_on(node):
            if port.device in stats:
                sent_by_vm, received_by_vm = stats[port.device]
                out[f"port:{port.id}"] = f"rx {received_by_vm} / tx {sent_by_vm} pkts"
    return out
