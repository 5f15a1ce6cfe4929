"""Benchmark 4: computing flows without switches, on synthetic clouds up to 1,000 nodes x
100,000 ports x 2,000 networks.

- full: one node's desired flows (view + every family), timed on several nodes; per flow, at
  three node shares of the same 1,000 nodes and at the largest share on a 4x smaller cloud
  (linear in the node's share, independent of the cloud's size);
- incremental: one port added and plugged -> the changes of every bridge it touches
  (flows/incremental.py), against recomputing those nodes whole (the baseline, same run);
- memory: the process's resident set after loading the cloud, and after computing.
The garbage collector is tuned as in the controller (controller.config.tune_gc).
"""
from __future__ import annotations

import dataclasses
import gc
import time

from cloud import derived
from bench import synthetic
from bench.report import Figure
from controller.config import tune_gc
from flows import localvlan
from flows.cloudsim import node_view, number_ports
from flows.desired import node_flows
from flows.incremental import port_changes
from flows.view import NodeState, NodeView

BIG = (1000, 2000, 100000)           # nodes, networks, ports
SHARES = ((1000, 500, 25000), (1000, 1000, 50000), BIG, (250, 500, 25000))
NODES_TIMED = 5
CHANGES = 20
BASELINE_CHANGES = 2


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def warm(cloud) -> None:
    """Build the cloud's lazy indexes (once per cloud, not per node) before timing, and
    collect garbage as the controller does once it has loaded its cloud."""
    cloud.ports_on("compute1"), cloud.ports_of(cloud.networks[0].id)
    cloud.hosts_of(cloud.networks[0].id), cloud.port(cloud.ports[0].id)
    gc.unfreeze()
    gc.collect()
    tune_gc()


def full_times(cloud, nodes) -> tuple[list[float], int]:
    warm(cloud)
    times, flows = [], 0
    for node in nodes:
        gc.collect()
        t0 = time.perf_counter()
        out = node_flows(node_view(cloud, node))
        times.append(time.perf_counter() - t0)
        flows = sum(len(f) for f in out.values())
    return times, flows


def run(quick: bool = False) -> list[Figure]:
    figures = []
    shares = SHARES[:1] + SHARES[-1:] if quick else SHARES
    per_flow = {}
    for computes, networks, ports in shares:
        cloud = synthetic.cloud(computes, networks, ports)
        gc.collect()
        nodes = [f"compute{1 + i * (computes // NODES_TIMED)}" for i in range(NODES_TIMED)]
        times, flows = full_times(cloud, nodes)
        label = f"{computes} nodes x {ports:,} ports"
        per_flow[label] = [t / flows * 1e6 for t in times]
        figures.append(Figure("4 compute", f"one node's flows, {label} ({flows:,} flows)",
                              "ms", [t * 1000 for t in times]))
        if computes == SHARES[0][0]:   # (the same nodes, more ports: a curve in the picture)
            figures.append(Figure("4 compute", f"per flow of a node, {label}", "us",
                                  per_flow[label], x=ports,
                                  series=f"per-flow cost (us) against the ports of a "
                                  f"{computes}-node cloud"))
    figures.append(Figure("4 compute", "per flow of a node, across the clouds above", "us",
                          [v for vs in per_flow.values() for v in vs],
                          note="per-flow cost by cloud: " + ", ".join(
                              f"{k}: {sorted(v)[len(v) // 2]:.1f} us"
                              for k, v in per_flow.items())))
    figures += incremental(quick)
    return figures


def incremental(quick: bool) -> list[Figure]:
    before = rss_mib()
    cloud = synthetic.cloud(*BIG)
    warm(cloud)
    loaded = rss_mib()
    states: dict[str, NodeState] = {}

    def state(node: str) -> NodeState:
        if node not in states:
            numbers = number_ports(cloud, node)
            states[node] = NodeState(
                localvlan.allocate({}, [n.id for n in cloud.networks_on(node)]),
                numbers.int_ports, numbers.tun_ports)
        return states[node]

    inc, derive, base, touched = [], [], [], []
    for i in range(5 if quick else CHANGES):
        old_port = cloud.ports[(i * 4999) % len(cloud.ports)]
        net = cloud.network(old_port.network_id)
        port = dataclasses.replace(old_port, id=f"bench-{i}", mac="fa:16:3e:ff:00:%02x" % i,
                                   ips=(net.cidrs[0][250],))
        t0 = time.perf_counter()
        new = derived.replace_port(cloud, port.id, port)
        derive.append(time.perf_counter() - t0)
        hosts = cloud.hosts_of(net.id)
        for node in hosts:
            state(node)
        home = states[port.node]  # plugged: its tap has an ofport on its node
        states[port.node] = dataclasses.replace(
            home, int_ports=dict(home.int_ports) | {port.device: 9999})
        t0 = time.perf_counter()
        changes = port_changes(cloud, new, port.id, state)
        inc.append(time.perf_counter() - t0)
        touched.append(len({node for node, _ in changes}))
        if i < BASELINE_CHANGES:
            t0 = time.perf_counter()
            for node in hosts:
                st = states[node]
                node_flows(NodeView.of_node(new, node, st))
            base.append(time.perf_counter() - t0)
        states[port.node] = home
    computed = rss_mib()
    n = len(base)
    return [
        Figure("4 compute", f"one port added: changes on its {touched[0]} nodes "
               f"(baseline: those nodes recomputed, {n} runs)", "ms",
               [t * 1000 for t in inc], [t * 1000 for t in base], "recompute",
               goal="< 5 ms", met=sorted(inc)[len(inc) // 2] < 0.005,
               note=f"ratio over the first {n} changes; deriving the new cloud from the old "
               f"(derived.replace_port) took {sorted(derive)[len(derive) // 2] * 1000:.1f} ms "
               "more (median)"),
        Figure("4 compute", "memory: the 1,000 x 100,000 cloud loaded", "MiB",
               [loaded - before]),
        Figure("4 compute", "memory: ... and after the changes above", "MiB",
               [computed - before]),
    ]
