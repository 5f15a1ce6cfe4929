"""Benchmark 7: port creates through the API, each with its flows committed.

On an emulated cloud of 16 computes (20 networks, 200 ports, every port a plugged VM),
CLIENTS threads each create ports in a loop through the API (bound to a node that already
hosts the port's network, so no tunnel or local VLAN changes) and, after each, wait until
every other host of its network has committed a bundle opened after the controller logged
the change (the unicast-to-tunnel and ARP-responder flows of the port); then the next.
Figures: creates per second over the whole run (each counted once its flows are
committed), and each port's create-to-committed time, median and p99. The ports are
deleted afterwards and every bridge is checked exact, so no change was lost on the way.
"""
from __future__ import annotations

import statistics
import threading
import time

from bench import emulated, synthetic
from bench.report import Figure
from cloud.naming import BR_TUN
from mininet_topos import converge
from mininet_topos.deployment import Deployment
from mininet_topos.ovs import wait_for

COMPUTES, NETWORKS, PORTS = 16, 20, 200
CLIENTS = 4
WAIT = 30.0


def _committed(proc, offset: int, labels: set[str], port_id: str) -> float:
    """Time of day by which every label committed a bundle opened after the controller
    logged the port's creation (so the bundle's flows were computed from a cloud with it)."""
    def done():
        text = proc.log_since(offset)
        change = emulated.change_time(text, f"create port {port_id}")
        if change is None:
            return None
        seen: dict[str, float] = {}
        for t, label, _, ms in emulated.commits(text):
            if label in labels and label not in seen and t - ms / 1000 >= change:
                seen[label] = t
        return max(seen.values()) if set(seen) == labels else None
    return wait_for(done, WAIT, "a port's flows committed on its network's hosts",
                    interval=0.005)


def _run(d: Deployment, creates: int) -> tuple[float, list[float]]:
    """(creates per second, create-to-committed seconds of each port)."""
    cloud = d.cloud
    plan = []
    for i in range(creates):
        net = cloud.networks[i % len(cloud.networks)]
        hosts = cloud.hosts_of(net.id)
        node = hosts[(i // len(cloud.networks)) % len(hosts)]
        plan.append((i, net.id, node, {f"{h}/{BR_TUN}" for h in hosts if h != node}))
    latencies: list[float] = []
    made: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(jobs):
        api = d.api
        try:
            for i, net_id, node, labels in jobs:
                offset = d.controller.log_size()
                started = time.time()
                port = api.create("ports", network_id=net_id, name=f"rate{i}",
                                  **{"binding:host_id": node})
                end = _committed(d.controller, offset, labels, port["id"])
                with lock:
                    latencies.append(emulated.since(started, end))
                    made.append(port["id"])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
    threads = [threading.Thread(target=client, args=(plan[k::CLIENTS],))
               for k in range(CLIENTS)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - t0
    if errors:
        raise errors[0]
    api = d.api
    for port_id in made:
        api.delete("ports", port_id)
    cloud = d.refresh()
    wait_for(lambda: all(r.ok for r in converge.check(cloud, d.ovs)), 120,
             "every bridge exact after the creates and deletes")
    return creates / elapsed, latencies


def run(quick: bool = False) -> list[Figure]:
    creates = 40 if quick else 200
    runs = 1 if quick else 3
    doc = synthetic.document(COMPUTES, NETWORKS, PORTS, name="brate")
    d = Deployment.from_file(emulated.write(doc, doc["cloud"]))
    try:
        d.start()
        results = [_run(d, creates) for _ in range(runs)]
        emulated.check_log(d.controller)
    finally:
        d.stop()
    rates = [rate for rate, _ in results]
    ms = sorted(t * 1000 for _, times in results for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return [
        Figure("7 api rate", f"{COMPUTES} computes, {CLIENTS} clients: port creates through "
               "the API, each with its flows committed on its network's hosts", "1/s",
               rates, goal=">= 500/s (issue 16)", met=statistics.median(rates) >= 500),
        Figure("7 api rate", f"the same: one port's create to its flows committed, "
               f"p99 {p99:.0f} ms", "ms", ms, goal="p99 < 100 ms (issue 16)",
               met=p99 < 100, note=f"{creates} creates per run, {runs} runs"),
    ]

