"""Restart hygiene on the seed cloud's real switches: the controller dies (SIGKILL) and comes
back, ovs-vswitchd restarts on a node. Traffic keeps flowing while the controller is away
(fail_mode=secure keeps the flows), and a returning controller sends exactly the delta."""
import threading
import time

import pytest

from cloud.naming import BR_INT, BR_TUN
from flows import ofctl
from flows.desired import bridges_of
from flows import tables as t
from mininet_topos import converge, walks
from mininet_topos.traffic import flow_counters, ping
from tests.integration.conftest import bridge_labels

BRIDGES = 10  # 3 nodes x (br-int, br-tun, br-eth1), and the network node's br-ex


def connected(d, node: str) -> bool:
    """Whether every managed bridge of the node has a live controller connection."""
    out = d.ovs[node].vsctl("--columns=is_connected", "--format=csv", "--no-headings", "list",
                            "controller")
    return out.split() == ["true"] * len(bridges_of(d.cloud.node(node)))


def restart_and_settle(d):
    """Start the controller again; wait until every bridge reconnected, had its first sync
    and is exact. Returns bridge -> flow-mods of its first sync after the restart."""
    since = d.controller.log_size()
    d.restart_controller()
    syncs = walks.poll_until(lambda: d.controller.first_syncs(since),
                             lambda s: len(s) == BRIDGES, 30)
    assert len(syncs) == BRIDGES, f"first syncs after restart: {syncs}"
    d.wait_converged(30)
    return syncs


def test_sigkill_during_a_fast_ping_loses_nothing_and_restart_sends_nothing(seed):
    """10 ms pings vm-a1 -> vm-a3 across nodes while the controller is SIGKILLed and
    restarted: no loss; the new controller finds every flow right and sends 0 flow-mods."""
    a3, ovs = walks.port(seed, "vm-a3"), seed.ovs["compute1"]

    def towards_a3() -> int:
        """Packets compute1's br-tun has sent towards vm-a3 (its l2pop unicast flow)."""
        return sum(n for (table, _, m), n in flow_counters(ovs, BR_TUN).items()
                   if table == t.UCAST_TO_TUN and ("eth_dst", a3.mac) in m)
    before = towards_a3()
    result = {}
    pinger = threading.Thread(target=lambda: result.update(ping=ping(
        seed.ec.host("vm-a1").pid, "10.0.0.6", count=500, interval=0.01, wait=1)))
    pinger.start()
    try:
        flowing = walks.poll_until(towards_a3, lambda n: n >= before + 20, 10)
        assert flowing >= before + 20, "the pings are under way before the kill"
        seed.controller.kill()
        down = walks.poll_until(lambda: [connected(seed, n) for n in ("compute1", "compute2")],
                                lambda c: not any(c), 10)
        assert not any(down), "the switches noticed the controller is gone"
        syncs = restart_and_settle(seed)
    finally:
        pinger.join()
    assert result["ping"].sent == 500 and result["ping"].received == 500, result["ping"].output
    assert syncs == {label: 0 for label in bridge_labels(seed.cloud)}


def test_restart_sends_exactly_the_delta(seed):
    """While the controller is down, one of its flows is deleted by hand and a stale flow of
    its cookie appears on compute1's br-tun: the restarted controller sends one bundle with
    one add and one delete there, and nothing anywhere else."""
    ovs = seed.ovs["compute1"]
    a3 = walks.port(seed, "vm-a3")
    seed.controller.kill()
    installed = converge.installed_flows(ovs, BR_TUN)
    (victim,) = [f for f in installed.values()
                 if f.table == t.UCAST_TO_TUN and f.get("eth_dst") == a3.mac]
    ovs.ofctl("del-flows", BR_TUN, "--strict",
              f"table={victim.table},priority={victim.priority},{ofctl.render_match(victim)}")
    stale = "cookie=%#x,table=%d,priority=%d,dl_vlan=1,dl_dst=fa:16:3e:00:00:99 actions=drop" % (
        t.COOKIE, t.UCAST_TO_TUN, t.PRIORITY_L2POP_UCAST)
    ovs.ofctl("add-flow", BR_TUN, stale)
    since = seed.controller.log_size()
    syncs = restart_and_settle(seed)
    assert syncs.pop("compute1/br-tun") == 2
    assert set(syncs.values()) == {0}
    log = seed.controller.log_since(since)
    assert "compute1/br-tun: bundle 1 committed: 2 flow-mods (+1 ~0 -1)" in log


def test_vswitchd_restart_is_detected_and_reprogrammed(seed):
    """ovs-vswitchd restarts on compute2 with empty tables: the controller sees a new
    connection with nothing installed and programs it whole; traffic flows again."""
    before = seed.controller.first_syncs()
    since = seed.controller.log_size()
    t0 = time.monotonic()
    seed.restart_vswitchd("compute2")
    bridges = bridges_of(seed.cloud.node("compute2"))   # br-int, br-tun, br-eth1
    syncs = walks.poll_until(lambda: seed.controller.first_syncs(since),
                             lambda s: len(s) == len(bridges), 30)
    seed.wait_converged(30)
    took = time.monotonic() - t0
    expected = {b: len(converge.installed_flows(seed.ovs["compute2"], b)) for b in bridges}
    assert syncs == {f"compute2/{b}": n for b, n in expected.items()}, (syncs, before)
    assert ping(seed.ec.host("vm-a1").pid, "10.0.0.6", count=3, interval=0.05).ok
    assert ping(seed.ec.host("vm-b1").pid, "10.0.0.6", count=3, interval=0.05).ok
    print(f"\n    ovs-vswitchd restart on compute2: reprogrammed and converged in {took:.1f}s")


@pytest.fixture(autouse=True)
def controller_back(seed):
    """Leave the module's deployment with a running, converged controller."""
    yield
    if not seed.controller.alive:
        restart_and_settle(seed)


def test_a_port_that_goes_and_comes_back_is_one_bundle_each_way(seed):
    """vm-a2's tap leaves compute1's br-int: one bundle removes its flows there (nothing on
    other bridges); plugged back, one bundle restores them and vm-a1 reaches it again."""
    import re
    a2 = walks.port(seed, "vm-a2")
    tap, ovs = a2.device, seed.ovs["compute1"]
    since = seed.controller.log_size()
    ovs.vsctl("del-port", BR_INT, tap)
    seed.wait_converged(10)
    gone = seed.controller.log_since(since)
    bundles = re.findall(r"(\S+): bundle \d+ committed: \d+ flow-mods \(\+(\d+) ~(\d+) -(\d+)\)",
                         gone)
    assert [b[0] for b in bundles] == ["compute1/br-int"], gone
    assert int(bundles[0][3]) >= 5 and int(bundles[0][1]) == 0, bundles
    since = seed.controller.log_size()
    ovs.vsctl("add-port", BR_INT, tap, "--", "set", "interface", tap,
              f"external_ids:iface-id={a2.id}", f"external_ids:attached-mac={a2.mac}")
    seed.wait_converged(10)
    back = re.findall(r"(\S+): bundle \d+ committed", seed.controller.log_since(since))
    assert back == ["compute1/br-int"]
    assert ping(seed.ec.host("vm-a1").pid, "10.0.0.5", count=3, interval=0.05).ok
