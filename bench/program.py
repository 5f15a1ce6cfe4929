"""Benchmark 1: programming rate. The controller installs a large flow set on one br-tun;
`ovs-ofctl --bundle add-flows` installs the identical set from a file on the same bridge.

The cloud: 10 computes, 100 networks of 120 ports each; only compute1 is built, so its br-tun
gets one unicast and one ARP responder flow per port on the 9 others (over 21,000 flows).
Controller: from its first sync of br-tun (flows computed, diffed, encoded and sent as one
bundle, the first on their way while the last are computed) to the commit reply, as the
controller logs it; beside it, the bundle's own time (open to commit reply). Baseline:
ovs-ofctl's wall time, process start to exit, for the flows the controller installed (dumped
and rendered as ovs-ofctl text).
Before each run the bridge's flows of our cookie are deleted; a warm-up run creates the tunnels.
"""
from __future__ import annotations

import os
import time

from bench import emulated, synthetic
from bench.report import Figure
from cloud.naming import BR_TUN
from flows import ofctl
from mininet_topos import converge
from mininet_topos.ovs import run as ovs_run
from mininet_topos.ovs import wait_for

NODE = "compute1"
OUR_FLOWS = "cookie=0x6f7665726c617900/-1"


def _controller_run(ec, controller) -> tuple[int, float, float]:
    """(flow-mods, ms from the first sync's start to the commit reply, ms of the bundle
    from its open) of one fresh controller programming the bridge."""
    ovs = ec.nodes[NODE].ovs
    ovs.ofctl("del-flows", BR_TUN, OUR_FLOWS)
    proc = controller()
    offset = proc.log_size()
    proc.start()
    label = f"{NODE}/{BR_TUN}"
    try:
        total = wait_for(
            lambda: [float(ms) for lb, ms in emulated.COMPUTED.findall(proc.log_since(offset))
                     if lb == label], 120, "the controller's first sync of br-tun")
        wait_for(lambda: next(r for r in converge.check_node(ec.cloud, NODE, ovs)
                              if r.bridge == BR_TUN).ok, 120, f"{label} exact", interval=0.2)
        mods = [(n, ms) for _, lb, n, ms in emulated.commits(proc.log_since(offset))
                if lb == label]
        emulated.check_log(proc)
    finally:
        proc.stop()
    return sum(n for n, _ in mods), total[0], mods[0][1]


def _ofctl_run(ec, path: str, count: int) -> float:
    ovs = ec.nodes[NODE].ovs
    ovs.ofctl("del-flows", BR_TUN, OUR_FLOWS)
    target = "unix:" + os.path.join(ovs.rundir, BR_TUN + ".mgmt")
    t0 = time.monotonic()
    ovs_run(["ovs-ofctl", "-O", "OpenFlow14", "--bundle", "add-flows", target, path],
            env=ovs.env, timeout=300)
    elapsed = time.monotonic() - t0
    have = len(converge.installed_flows(ovs, BR_TUN))
    if have != count:
        raise RuntimeError(f"ovs-ofctl installed {have} flows, expected {count}")
    return elapsed


def run(quick: bool = False) -> list[Figure]:
    doc = synthetic.document(computes=10, networks=100, ports=12000, name="bprogram")
    runs = 2 if quick else 3
    rates, apply_rates, baseline, counts = [], [], [], []
    with emulated.partial(doc, [NODE]) as (ec, controller):
        ovs = ec.nodes[NODE].ovs
        ovs.vsctl("set", "bridge", BR_TUN, "protocols=OpenFlow10,OpenFlow13,OpenFlow14")
        _controller_run(ec, controller)  # warm-up: creates the tunnel ports
        flows = converge.installed_flows(ovs, BR_TUN)
        path = os.path.join(ec.rundir, "br-tun.flows")
        with open(path, "w") as fh:
            fh.writelines(ofctl.render(f) + "\n" for f in flows.values())
        for _ in range(runs):
            mods, total_ms, bundle_ms = _controller_run(ec, controller)
            counts.append(mods)
            rates.append(mods / (total_ms / 1000))
            apply_rates.append(mods / (bundle_ms / 1000))
            baseline.append(len(flows) / _ofctl_run(ec, path, len(flows)))
    n = max(counts)
    end_to_end = Figure("1 program", f"controller: {n:,} flows on one br-tun, computed to "
                        "committed", "flows/s", rates, baseline, "ovs-ofctl --bundle",
                        goal="ratio >= 1.0")
    end_to_end.met = end_to_end.ratio >= 1.0
    return [end_to_end,
            Figure("1 program", "controller: the same, bundle open to commit reply (the "
                   "flows after the first still being computed meanwhile)", "flows/s",
                   apply_rates, baseline, "ovs-ofctl --bundle")]
