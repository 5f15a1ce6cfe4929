"""Benchmark 7: port creates through the API, each with its flows committed.

On an emulated cloud of 16 computes (20 networks, 200 ports, every port a plugged VM),
CLIENTS threads each create ports through the API as fast as it answers (bound to a node
that already hosts the port's network, so no tunnel or local VLAN changes): an open loop,
as many clients as a busy cloud has. Concurrent changes reach the node workers together and
go out in one bundle per bridge. A port counts as done when every other host of its network
logged it followed (the controller logs each run of changes a node followed, once its
bundles committed). Figures: creates per second from the first request to the last port
done, and each port's create-to-committed time, median and p99. The ports are deleted
afterwards and every bridge is checked exact, so no change was lost on the way.
"""
from __future__ import annotations

import statistics
import threading
import time

from bench import emulated, synthetic
from bench.report import Figure
from mininet_topos import converge
from mininet_topos.deployment import Deployment
from mininet_topos.ovs import wait_for

COMPUTES, NETWORKS, PORTS = 16, 20, 200
CLIENTS = 16
WAIT = 60.0


def _done(text: str, ports: dict[str, tuple[float, set[str]]]) -> dict[str, float]:
    """port id -> time of day by which every other host of its network followed it."""
    seen: dict[str, dict[str, float]] = {}
    for t, node, ids in emulated.followed(text):
        for ident in ids:
            if ident in ports and node in ports[ident][1]:
                seen.setdefault(ident, {}).setdefault(node, t)
    return {i: max(seen[i].values()) for i in ports
            if i in seen and set(seen[i]) == ports[i][1]}


def _run(d: Deployment, creates: int) -> tuple[float, list[float]]:
    """(creates per second, create-to-committed seconds of each port)."""
    cloud = d.cloud
    plan = []
    for i in range(creates):
        net = cloud.networks[i % len(cloud.networks)]
        hosts = cloud.hosts_of(net.id)
        node = hosts[(i // len(cloud.networks)) % len(hosts)]
        plan.append((i, net.id, node, {h for h in hosts if h != node}))
    ports: dict[str, tuple[float, set[str]]] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    offset = d.controller.log_size()

    def client(jobs):
        api = d.api
        try:
            for i, net_id, node, others in jobs:
                started = time.time()
                port = api.create("ports", network_id=net_id, name=f"rate{i}",
                                  **{"binding:host_id": node})
                with lock:
                    ports[port["id"]] = (started, others)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
    threads = [threading.Thread(target=client, args=(plan[k::CLIENTS],))
               for k in range(CLIENTS)]
    first = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    done = wait_for(lambda: (lambda got: got if len(got) == len(ports) else None)(
        _done(d.controller.log_since(offset), ports)), WAIT,
        "every port followed by every other host of its network", interval=0.2)
    latencies = [emulated.since(ports[i][0], t) for i, t in done.items()]
    elapsed = emulated.since(first, max(done.values()))
    api = d.api
    for port_id in ports:
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

