"""Mininet's own front door: `mn --custom mininet_topos/topos.py --topo neutron` builds the
seed cloud the launcher builds (controller, per-node OVS, VMs), its CLI pings across hosts,
and exit leaves no process, namespace, link or run directory of it."""
import os
import subprocess

from mininet_topos.state import BASE_DIR
from tests.conftest import ROOT
from tests.support.clean import leftovers

COMMANDS = """compute1 ovs-ofctl -O OpenFlow13 dump-flows br-tun --no-stats
vm-a1 ping -c 2 -W 2 10.0.0.6
vm-d1 ping -c 2 -W 2 10.0.4.6
exit
"""


def test_mn_custom_builds_the_seed_cloud_and_leaves_nothing(tmp_path):
    proc = subprocess.run(["mn", "--custom", os.path.join(ROOT, "mininet_topos", "topos.py"),
                           "--topo", "neutron"], input=COMMANDS, capture_output=True,
                          text=True, timeout=300, cwd=str(tmp_path))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "*** cloud seed: 3 nodes, 13 VMs, every bridge exact" in out, out[-3000:]
    assert "table=4, priority=1,tun_id=0x1388" in out, out[-3000:]   # compute1's br-tun
    assert out.count("2 packets transmitted, 2 received") == 2, out[-3000:]
    assert not leftovers(os.path.join(BASE_DIR, "seed"), [])
