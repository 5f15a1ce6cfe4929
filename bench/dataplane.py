"""Benchmark 6: data plane, VM to VM across VXLAN and across GRE, against the nodes' own
underlay path (node to node over the tunnel IPs, through br-phy), in the same run.

Two computes; net0 (VXLAN) and net1 (GRE) each have a VM on both. Per run and path: ping RTT
(20 echoes, 50 ms apart, the average ping reports) and iperf3 TCP throughput (3 s, what the
receiver got). Every path here is OVS's userspace datapath (netdev: no kernel module on this
machine), so throughput is bound by ovs-vswitchd's CPU, not by the links; the ratio to the
underlay is the cost of the overlay's encapsulation and its pipeline.
"""
from __future__ import annotations

import json
import re
import subprocess

from bench import emulated, synthetic
from bench.report import Figure
from flows.neigh import ipv4s
from mininet_topos.deployment import Deployment
from mininet_topos.ovs import run, stop_pid, wait_for

RTT = re.compile(r"rtt min/avg/max/mdev = [\d.]+/([\d.]+)/")
IPERF_SECONDS = 3
IPERF_PORT = 5201   # iperf3's default


def _rtt(pid: int, ip: str) -> float:
    out = run(["mnexec", "-a", str(pid), "ping", "-n", "-q", "-c", "20", "-i", "0.05", ip],
              check=False, timeout=30).stdout
    m = RTT.search(out)
    if not m:
        raise RuntimeError(f"ping {ip}: {out}")
    return float(m.group(1))


def _iperf(d: Deployment, server_pid: int, client_pid: int, ip: str) -> float:
    server = subprocess.Popen(["mnexec", "-a", str(server_pid), "iperf3", "-s", "-1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL)
    d.ec.state.add_pid(server.pid, "iperf3")
    try:
        wait_for(lambda: run(["mnexec", "-a", str(server_pid), "ss", "-ltnH",
                              f"sport = :{IPERF_PORT}"]).stdout.strip(), 10,
                 "iperf3 server listening")
        proc = run(["mnexec", "-a", str(client_pid), "iperf3", "-c", ip, "-t",
                    str(IPERF_SECONDS), "-J"], check=False, timeout=IPERF_SECONDS + 30)
        result = json.loads(proc.stdout or "{}")
        if "sum_received" not in result.get("end", {}):
            raise RuntimeError(f"iperf3 to {ip}: {proc.stdout[-300:]}{proc.stderr[-300:]}")
        return result["end"]["sum_received"]["bits_per_second"] / 1e9
    finally:
        if server.poll() is None:
            stop_pid(server.pid)
        server.wait()


def run_dataplane(quick: bool = False) -> list[Figure]:
    runs = 2 if quick else 3
    doc = synthetic.document(2, 2, 4, name="bdata")
    d = Deployment.from_file(emulated.write(doc, doc["cloud"]))
    res: dict[str, dict[str, list[float]]] = {k: {"rtt": [], "gbps": []}
                                              for k in ("vxlan", "gre", "underlay")}
    try:
        d.start()
        c1, c2 = d.ec.nodes["compute1"], d.ec.nodes["compute2"]
        pairs = {}
        for net in d.cloud.networks:
            a, b = sorted(d.cloud.ports_of(net.id), key=lambda p: p.node)
            pairs[net.type] = (d.ec.vms[a.name].pid, d.ec.vms[b.name].pid, ipv4s(b)[0])
        pairs["underlay"] = (c1.pid, c2.pid, str(d.cloud.node("compute2").tunnel_ip))
        for _ in range(runs):
            for kind, (src, dst, ip) in pairs.items():
                res[kind]["rtt"].append(_rtt(src, ip))
                res[kind]["gbps"].append(_iperf(d, dst, src, ip))
        emulated.check_log(d.controller)
    finally:
        d.stop()
    under = res["underlay"]
    note = ("userspace datapath (netdev) on 2 cores: ovs-vswitchd's CPU is the limit on every "
            "path, the underlay's too")
    return [f for kind in ("vxlan", "gre") for f in (
        Figure("6 dataplane", f"VM to VM over {kind.upper()}: ping RTT", "ms",
               res[kind]["rtt"], under["rtt"], "underlay"),
        Figure("6 dataplane", f"VM to VM over {kind.upper()}: iperf3 TCP", "Gbit/s",
               res[kind]["gbps"], under["gbps"], "underlay",
               note=note if kind == "vxlan" else ""))]
