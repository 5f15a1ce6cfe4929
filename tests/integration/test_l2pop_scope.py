"""L2 population's flood scope on real switches, in a cloud of five computes where the
networks are spread unevenly (tests/conftest.py: uneven_raw)."""
import re

import pytest
import yaml

from mininet_topos import frames, walks
from mininet_topos.node import DATA_IF
from mininet_topos.traffic import Capture, send_frames
from tests.conftest import uneven_raw
from tests.integration.conftest import run_deployment


def capture(d, host, iface="eth0", bpf=""):
    return Capture(d.ec.host(host).pid, iface, bpf,
                   on_start=lambda pid: d.ec.state.add_pid(pid, "tcpdump"))


@pytest.fixture(scope="module")
def uneven(tmp_path_factory):
    path = tmp_path_factory.mktemp("uneven") / "uneven.yaml"
    path.write_text(yaml.safe_dump(uneven_raw(), sort_keys=False))
    yield from run_deployment(path)


@pytest.mark.parametrize("src,reached", [("vm-a1", {"compute2", "compute3"}),
                                         ("vm-b1", {"compute4"}),
                                         ("vm-c1", set())])
def test_broadcast_reaches_only_nodes_hosting_the_network(uneven, src, reached):
    """One broadcast frame, counted on every node's data link: a copy arrives exactly at
    each node that hosts the network, nowhere else."""
    port = walks.port(uneven, src)
    frame = frames.ethernet("ff:ff:ff:ff:ff:ff", port.mac, 0x0800,
                            frames.ipv4_icmp_echo(str(port.ips[0]), "10.0.0.255"))
    nodes = [n.name for n in uneven.cloud.nodes]
    caps = {n: capture(uneven, n, DATA_IF, "udp port 4789 or ip proto 47") for n in nodes}
    for cap in caps.values():
        cap.__enter__()
    try:
        send_frames(uneven.ec.host(src).pid, "raw", "eth0", frame.hex())
    finally:
        for cap in caps.values():
            cap.__exit__(None, None, None)
    def ip(node):
        return re.escape(str(uneven.cloud.node(node).tunnel_ip))
    # "A > B" (GRE) or "A.port > B.4789" (VXLAN): the frame's copy arriving at node n
    tunnelled_in = {n: caps[n].count(port.mac, rf"> {ip(n)}[.:]") for n in nodes}
    sent = caps[port.node].count(port.mac, rf"{ip(port.node)}(\.\d+)? >")
    assert {n for n, c in tunnelled_in.items() if c} == reached, tunnelled_in
    assert all(c <= 1 for c in tunnelled_in.values()), tunnelled_in
    assert sent == len(reached), f"{port.node} sent {sent} copies"
