"""Benchmarks 2, 3 and 10 on emulated clouds of N computes (20 networks, 200 ports, every
port a plugged VM), one deployment per N: 2 and 3 at N = 4, 8, 16, 10 at N = 32, 64, 100:

2. convergence: controller start -> every bridge holds exactly its desired flows. The end is
   the last bundle commit the controller logs (commit replies: barrier-confirmed), checked
   afterwards against every bridge's dump (mininet_topos.converge). Before each run the flows
   of our cookie are deleted from every bridge; the first run also creates the tunnels. Once
   the controller listens, each bridge's controller row is renewed so that it connects at once
   instead of after OVS's reconnect backoff (the deployment avoids that wait by starting the
   controller before the nodes).
3. change latency: a port created through the API -> every node hosting its network has
   committed the new flows (unicast-to-tunnel and ARP responder; the port is not plugged, so
   its own node has nothing to add), from the API call to the last commit; the port is then
   deleted (its removal awaited the same way) before the next one.
10. scale: convergence as in 2 (three runs), the deployment's resident memory per node and
    its CPU while idle (over IDLE_SECONDS), drawn as curves against N.
"""
from __future__ import annotations

import os
import statistics
import time

from bench import emulated, synthetic
from bench.report import Figure
from cloud.naming import BR_TUN
from flows.desired import bridges_of
from mininet_topos import converge
from mininet_topos.deployment import Deployment
from mininet_topos.node import connect_controller
from mininet_topos.ovs import wait_for

SIZES = (4, 8, 16)
SCALE = (32, 64, 100)      # benchmark 10 (quick: the first two)
IDLE_SECONDS = 10.0
NETWORKS, PORTS = 20, 200
OUR_FLOWS = "cookie=0x6f7665726c617900/-1"
CONVERGE_TIMEOUT = 120.0


def _deployment(computes: int) -> Deployment:
    doc = synthetic.document(computes, NETWORKS, PORTS, name=f"bconv{computes}")
    path = emulated.write(doc, doc["cloud"])
    return Deployment.from_file(path, with_controller=False)


def _exact(d: Deployment) -> None:
    wait_for(lambda: all(r.ok for r in converge.check(d.cloud, d.ovs)), CONVERGE_TIMEOUT,
             "every bridge exact")


def _converge_once(d: Deployment) -> tuple[float, int]:
    for name, ovs in d.ovs.items():
        for bridge in bridges_of(d.cloud.node(name)):
            ovs.ofctl("del-flows", bridge, OUR_FLOWS)
    if d.controller is not None:
        d.controller.stop()
    started = time.time()
    offset = d.controller.log_size() if d.controller else 0
    proc = d.start_controller()
    # The bridges wait out OVS's reconnect backoff (up to 8 s) since the last controller went;
    # as when a deployment starts (controller first), they connect as soon as it listens.
    wait_for(lambda: "API on http" in proc.log_since(offset), 30, "controller listening",
             interval=0.01)
    for name, host in d.ec.nodes.items():
        connect_controller(host, bridges_of(d.cloud.node(name)), d.cloud.fabric)
    _exact(d)
    commits = emulated.commits(proc.log_since(offset))
    end = max(t for t, _, _, _ in commits)
    return emulated.since(started, end), sum(n for _, _, n, _ in commits)


def _await_commits(proc, offset: int, labels: set[str], what: str) -> float:
    def done():
        seen = {label: t for t, label, _, _ in emulated.commits(proc.log_since(offset))}
        return max(seen[label] for label in labels) if labels <= set(seen) else None
    return wait_for(done, 30, what, interval=0.005)


def _latency(d: Deployment, changes: int) -> tuple[list[float], int]:
    api = d.api
    net = d.cloud.networks[0]
    hosts = d.cloud.hosts_of(net.id)
    node = hosts[0]
    labels = {f"{h}/{BR_TUN}" for h in hosts if h != node}
    times = []
    for i in range(changes):
        offset = d.controller.log_size()
        started = time.time()
        port = api.create("ports", network_id=net.id, name=f"bench{i}",
                          **{"binding:host_id": node})
        end = _await_commits(d.controller, offset, labels, f"port {i} on every host")
        times.append(emulated.since(started, end))
        offset = d.controller.log_size()
        api.delete("ports", port["id"])
        _await_commits(d.controller, offset, labels, f"port {i} removed everywhere")
    return times, len(labels)


def _each_size(quick: bool, body, sizes=SIZES) -> list:
    out = []
    for computes in sizes[:2] if quick else sizes:
        d = _deployment(computes)
        try:
            d.start()
            out.append((computes, body(d)))
            emulated.check_log(d.controller)
        finally:
            d.stop()
    return out


def run_converge(quick: bool = False) -> list[Figure]:
    runs = 2 if quick else 3

    def body(d):
        return [_converge_once(d) for _ in range(runs)]
    figures = []
    for computes, results in _each_size(quick, body):
        mods = sorted(n for _, n in results)[len(results) // 2]
        figures.append(Figure(
            "2 converge", f"{computes} computes, {NETWORKS} networks, {PORTS} ports: controller "
            f"start to every bridge exact ({mods:,} flow-mods)", "s",
            [t for t, _ in results], goal="< 5 s at 16" if computes == 16 else "",
            met=(sorted(t for t, _ in results)[len(results) // 2] < 5.0)
            if computes == 16 else None,
            note="" if computes != SIZES[0] else "includes os-ken's own start (about 1.2 s, "
            "platform notes); the first run of each size also creates the tunnel ports"))
    return figures


def _cpu_seconds(d: Deployment) -> float:
    """User + system CPU time so far of every process of the deployment."""
    total = 0
    for entry in d.ec.state.data["pids"]:
        try:
            with open(f"/proc/{entry['pid']}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def run_scale(quick: bool = False) -> list[Figure]:
    """Convergence (3 runs: the first also creates the tunnel ports), memory per node and
    idle CPU at SCALE computes."""
    def body(d):
        times = [_converge_once(d)[0] for _ in range(3)]   # (the first also makes tunnels)
        nodes = len(d.cloud.nodes)
        memory = d.memory_mib() / nodes
        before, t0 = _cpu_seconds(d), time.monotonic()
        time.sleep(IDLE_SECONDS)   # (a measurement window, not a wait for anything)
        idle = (_cpu_seconds(d) - before) / (time.monotonic() - t0) * 100
        return times, memory, idle
    figures = []
    for computes, (times, memory, idle) in _each_size(quick, body, SCALE):
        at_max = computes == SCALE[-1]
        figures += [
            Figure("10 scale", f"{computes} computes: controller start to every bridge exact",
                   "s", times, goal="< 10 s at 100" if at_max else "",
                   met=statistics.median(times) < 10.0 if at_max else None, x=computes,
                   series="convergence (s) against computes"),
            Figure("10 scale", f"{computes} computes: resident memory per node (OVS, shells, "
                   "controller shared)", "MiB", [memory], x=computes,
                   series="memory per node (MiB) against computes"),
            Figure("10 scale", f"{computes} computes: CPU of the whole idle cloud over "
                   f"{IDLE_SECONDS:.0f} s", "% of one core", [idle], x=computes,
                   series="idle CPU (% of a core) against computes")]
    return figures


def run_latency(quick: bool = False) -> list[Figure]:
    changes = 10 if quick else 50

    def body(d):
        d.start_controller()
        _exact(d)
        return _latency(d, changes)
    figures = []
    for computes, (times, nodes) in _each_size(quick, body):
        ms = sorted(t * 1000 for t in times)
        figures.append(Figure(
            "3 latency", f"{computes} computes: port created via API to its flows committed on "
            f"all {nodes} other hosts of its network", "ms", ms,
            goal="median < 50 ms at 16" if computes == 16 else "",
            met=ms[len(ms) // 2] < 50 if computes == 16 else None,
            note=f"p95 {ms[int(len(ms) * 0.95) - 1 if len(ms) >= 20 else -1]:.0f} ms"))
    return figures
