"""Benchmark 5: ARP and flood scope, L2 population on vs off, on an 8-compute cloud.

Network net0 has 4 VMs on 4 of the 8 computes (16 VMs, 4 networks in all). From its VM on
compute A:
- one ARP resolution of a VM on another node (`arping -c 1`): tunnel packets that every node
  sends meanwhile (tcpdump on each node's underlay NIC, VXLAN and GRE), and the reply time
  arping reports (as the VM sees it);
- one broadcast (a ping to the subnet's broadcast address, which VMs ignore): tunnel packets.
With L2 population the ARP is answered in br-tun/br-int (0 tunnel packets) and the broadcast
goes to the network's 3 other hosts only; without it both go to every other node (the full
mesh of Neutron's agent without l2pop), and the reply crosses a tunnel.
"""
from __future__ import annotations

import contextlib
import re

from bench import emulated, synthetic
from bench.report import Figure
from flows.neigh import ipv4s
from mininet_topos.deployment import Deployment
from mininet_topos.node import DATA_IF
from mininet_topos.traffic import Capture, ping
from mininet_topos.ovs import run

COMPUTES, NETWORKS, PORTS = 8, 4, 16
ARPING_REPLY = re.compile(r"bytes from .* time=([\d.]+) (usec|msec|sec)")
UNIT_MS = {"usec": 0.001, "msec": 1.0, "sec": 1000.0}
TUNNELS = "udp port 4789 or ip proto 47"


def _captures(d: Deployment) -> list[Capture]:
    """On each node's underlay NIC, the tunnel packets it sends."""
    return [Capture(host.pid, DATA_IF, f"src host {d.cloud.node(name).tunnel_ip} and "
                    f"( {TUNNELS} )", on_start=lambda p: d.ec.state.add_pid(p, "tcpdump"))
            for name, host in d.ec.nodes.items()]


def _counted(d: Deployment, action) -> tuple[int, object]:
    """(tunnel packets all nodes sent while action() ran, its result)."""
    with contextlib.ExitStack() as stack:
        caps = [stack.enter_context(cap) for cap in _captures(d)]
        result = action()
    return sum(len(c.packets) for c in caps), result


def _arping(d: Deployment, vm: str, ip: str) -> float:
    out = run(["mnexec", "-a", str(d.ec.vms[vm].pid), "arping", "-c", "1", "-w", "2", ip],
              check=False, timeout=10).stdout
    m = ARPING_REPLY.search(out)
    if not m:
        raise RuntimeError(f"arping {ip} from {vm}: no reply: {out}")
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def _measure(l2pop: bool, runs: int) -> tuple[dict[str, list[float]], int]:
    """The figures of each run, and how many other nodes host the measured network."""
    doc = synthetic.document(COMPUTES, NETWORKS, PORTS, l2pop=l2pop,
                             name="bfloodon" if l2pop else "bfloodoff")
    d = Deployment.from_file(emulated.write(doc, doc["cloud"]))
    out = {"arp_packets": [], "arp_ms": [], "bcast_packets": []}
    try:
        d.start()
        net = d.cloud.networks[0]
        a, b = d.cloud.ports_of(net.id)[:2]
        ping(d.ec.vms[a.name].pid, ipv4s(b)[0], count=1)  # the tunnels' next hops resolved
        bcast = str(net.cidrs[0].broadcast_address)
        for _ in range(runs):
            run(["mnexec", "-a", str(d.ec.vms[a.name].pid), "ip", "neigh", "flush", "all"])
            packets, ms = _counted(d, lambda: _arping(d, a.name, ipv4s(b)[0]))
            out["arp_packets"].append(packets)
            out["arp_ms"].append(ms)
            packets, _ = _counted(d, lambda: run(
                ["mnexec", "-a", str(d.ec.vms[a.name].pid), "ping", "-b", "-c", "1", "-W",
                 "0.3", bcast], check=False))
            out["bcast_packets"].append(packets)
        others = len(d.cloud.hosts_of(net.id)) - 1
        emulated.check_log(d.controller)
    finally:
        d.stop()
    return out, others


def run_flood(quick: bool = False) -> list[Figure]:
    runs = 3 if quick else 5
    (on, others), (off, _) = _measure(True, runs), _measure(False, runs)
    return [
        Figure("5 flood", f"tunnel packets for one ARP resolution, l2pop on "
               f"({COMPUTES} computes)", "packets", on["arp_packets"], off["arp_packets"],
               "l2pop off", goal="0 with l2pop", met=max(on["arp_packets"]) == 0),
        Figure("5 flood", "one broadcast: tunnel packets, l2pop on", "packets",
               on["bcast_packets"], off["bcast_packets"], "l2pop off",
               goal=f"= {others} (the other hosts of the network)",
               met=max(on["bcast_packets"]) == others),
        Figure("5 flood", "ARP resolution time seen by the VM (arping), l2pop on", "ms",
               on["arp_ms"], off["arp_ms"], "l2pop off"),
    ]
