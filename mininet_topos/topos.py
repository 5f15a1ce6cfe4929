"""Mininet's own front door to the emulated cloud, for Mininet users' habits:

    sudo mn --custom mininet_topos/topos.py --topo neutron                 the seed cloud
    sudo mn --custom mininet_topos/topos.py --topo neutron,computes=3      the seed's shape
    sudo mn --custom mininet_topos/topos.py --topo neutron,cloud=FILE.yaml a cloud file

builds exactly what the launcher (mininet_topos/launch.py, still the main way) builds: the
controller, every node with its own Open vSwitch, the VMs, DHCP and routers; `mininet>` is the
launcher's CLI (`compute1 ovs-ofctl dump-flows br-tun`, `vm-a1 ping 10.0.0.6`, `plug`); exit
tears it all down, and so does Ctrl-C. mn's file hooks do it: `topos` names the topology,
`Mininet` (the network class mn builds) is NeutronNet, which runs a Deployment, `CLI` is the
launcher's, and `cleanup` (what mn calls after a failure or Ctrl-C) removes exactly what
this cloud recorded, never what `mn -c` would (processes by name, the system OVS's bridges).
mn's switch, controller, link and address options are ignored: the cloud file says it all.
"""
from __future__ import annotations

import glob
import os
import sys
import tempfile



def _this_file() -> str:
    """This file's path: mn runs a --custom file without __file__, so from mn's arguments."""
    if "__file__" in globals():
        return globals()["__file__"]
    for i, arg in enumerate(sys.argv):
        if arg == "--custom" and i + 1 < len(sys.argv):
            return sys.argv[i + 1].split(",")[0]
        if arg.startswith("--custom="):
            return arg.split("=", 1)[1].split(",")[0]
    return os.path.join(os.getcwd(), "mininet_topos", "topos.py")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(_this_file())))
# mn runs Debian's python3; the project and its venv's packages (os-ken, ...) are added
sys.path[:0] = [p for p in [ROOT, *glob.glob(os.path.join(ROOT, ".venv", "lib", "python3*",
                                                         "site-packages"))]
                if p not in sys.path]

from mininet.log import setLogLevel  # noqa: E402
from mininet.topo import Topo  # noqa: E402

from cloud import generate, schema  # noqa: E402
from mininet_topos.cloud import CloudCLI  # noqa: E402
from mininet_topos.deployment import Deployment  # noqa: E402
from mininet_topos.progress import Progress  # noqa: E402
from mininet_topos.state import State, leftover_rundirs  # noqa: E402

SEED = os.path.join(ROOT, "clouds", "seed.yaml")


class NeutronTopo(Topo):
    """--topo neutron[,computes=N][,cloud=FILE]: which cloud; NeutronNet builds it."""

    def __init__(self, computes: int | None = None, cloud: str | None = None, **opts):
        self.computes, self.cloud_file = computes, cloud
        super().__init__(**opts)

    def build(self, **_opts) -> None:
        """(nothing here: the nodes are per-node-OVS hosts a Deployment makes)"""

    def load(self) -> tuple:
        """(Cloud, its file): the file given, the seed's shape with N computes, or the seed."""
        if self.cloud_file:
            return schema.load(self.cloud_file), self.cloud_file
        if self.computes is not None:
            fd, path = tempfile.mkstemp(prefix="ovl-mn-", suffix=".yaml")
            with os.fdopen(fd, "w") as fh:
                fh.write(generate.dump(generate.generate(int(self.computes))))
            return schema.load(path), path
        return schema.load(SEED), SEED


class NeutronNet:
    """What mn builds, starts, hands to its CLI and stops: a Deployment, and everything
    else asked of a Mininet object answered by the deployment's own Mininet."""

    def __init__(self, topo: NeutronTopo | None = None, **_ignored):
        cloud, path = (topo or NeutronTopo()).load()
        self.deployment = Deployment(cloud, path)

    def start(self) -> None:
        d = self.deployment
        d.start(progress=Progress())
        d.start_agent()
        print(f"*** cloud {d.cloud.name}: {len(d.cloud.nodes)} nodes, "
              f"{sum(p.is_vm for p in d.cloud.ports)} VMs, every bridge exact "
              f"({d.flow_count()} flows); API {d.controller.api_url} "
              f"(token {d.controller.auth_token})")

    def stop(self) -> None:
        self.deployment.stop()

    def __getattr__(self, name: str):
        if name == "deployment":
            raise AttributeError(name)
        return getattr(self.deployment.ec.net, name)

    def __getitem__(self, key):
        return self.deployment.ec.net[key]

    def __contains__(self, key) -> bool:
        return key in self.deployment.ec.net

    def __iter__(self):
        return iter(self.deployment.ec.net)


class NeutronCLI(CloudCLI):
    """The launcher's CLI (names with dashes, plug and unplug) for mn's network."""

    def __init__(self, net, **kwargs):
        setLogLevel("output")   # (the cloud's start quiets Mininet; its CLI prints at this)
        super().__init__(net, deployment=net.deployment, **kwargs)


def cleanup() -> None:
    """What mn runs after a failure or Ctrl-C: only what our clouds recorded."""
    for rundir in leftover_rundirs():
        State(rundir).cleanup()


topos = {"neutron": NeutronTopo}
Mininet = NeutronNet
CLI = NeutronCLI
