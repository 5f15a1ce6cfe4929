"""A running deployment: the emulated cloud plus its controller, converged.

Used by the launcher, the demo and the integration tests alike:

    with Deployment.from_file("clouds/seed.yaml") as d:
        d.cloud, d.ec (EmulatedCloud), d.controller (ControllerProcess), d.timings

Start order: root segments and nodes first (the management bridge carries the controller's
address), then osken-manager, then a poll until every bridge holds exactly its flows.
"""
from __future__ import annotations

import threading
import time

from cloud import schema
from cloud.model import ROLE_NETWORK, Cloud
from cloud.naming import BR_PHY
from controller.client import Client
from flows.desired import bridges_of
from mininet_topos import converge, l3, openstack_env
from mininet_topos.cloud import EmulatedCloud
from mininet_topos.controller_proc import ControllerProcess
from mininet_topos.node import configure_phy, seed_tunnel_neighbours
from mininet_topos.ovs import OvsError, OvsInstance, wait_for
from mininet_topos.state import proc_name

CONVERGE_TIMEOUT = 60.0
RESTART_TIMEOUT = 10.0


class Deployment:
    def __init__(self, cloud: Cloud, cloud_file: str, rundir: str | None = None,
                 with_controller: bool = True, debug: bool = False):
        self.cloud = cloud
        self.cloud_file = cloud_file
        self.ec = EmulatedCloud(cloud, rundir)
        self.with_controller = with_controller
        self.debug = debug
        self.controller: ControllerProcess | None = None
        self.timings: dict[str, float] = {}
        self._lock = threading.RLock()   # one change of the emulated cloud at a time
        self._agent: threading.Thread | None = None
        self._agent_stop = threading.Event()

    @classmethod
    def from_file(cls, path: str, **kwargs) -> Deployment:
        return cls(schema.load(path), path, **kwargs)

    @property
    def ovs(self) -> dict[str, OvsInstance]:
        return {name: host.ovs for name, host in self.ec.nodes.items()}

    def start(self, timeout: float = CONVERGE_TIMEOUT, progress=None) -> Deployment:
        """Segments, then the controller (so every bridge's first connection attempt finds
        it), then nodes and VMs; `converge` is the time from the last VM plugged to every
        bridge exact. progress(stage, done, total): nodes up, then bridges exact (see
        mininet_topos/progress.py)."""
        t0 = time.monotonic()
        self.ec.prepare()
        if self.with_controller:
            self.start_controller()
        self.ec.populate(progress)
        self.timings["cloud"] = time.monotonic() - t0
        if self.with_controller:
            self.timings["converge"] = self.wait_converged(timeout, progress)
        # (without a controller nothing forwards DHCP yet: the VMs keep asking meanwhile)
        self.ec.wait_vm_addresses(leases=self.with_controller)
        self.timings["total"] = time.monotonic() - t0
        return self

    def start_controller(self) -> ControllerProcess:
        self.controller = ControllerProcess(self.cloud, self.cloud_file, self.ec.rundir,
                                            self.ec.state, debug=self.debug).start()
        return self.controller

    # ------------------------------------------------------------------ a live cloud
    @property
    def api(self) -> Client:
        return Client(self.controller.api_url, token=self.controller.auth_token)

    def clouds_yaml(self) -> str:
        """A clouds.yaml for the `openstack` client and openstacksdk (see openstack_env)."""
        root = self.controller.api_url.rsplit("/v2.0", 1)[0]
        return openstack_env.write(self.ec.rundir, root, self.controller.auth_token)

    def refresh(self) -> Cloud:
        """Adopt the controller's current cloud (changed through its API) as ours."""
        self.cloud = self.ec.cloud = schema.parse(self.api.cloud()["cloud"], "api")
        return self.cloud

    def sync_services(self) -> Cloud:
        """Adopt the controller's cloud and make the network node's services match it, as
        Neutron's L3 and DHCP agents do on an update: each router's qrouter namespace
        (interfaces, gateway, floating IPs, NAT), each dnsmasq's hosts."""
        with self._lock:
            cloud = self.refresh()
            added = self.ec.sync_routers()
            self.ec.sync_dhcp()
            if added and self.controller is not None:
                self.wait_converged()  # the new ports forward: now tell the neighbours
            for ns, device, cidr in added:
                l3.announce(ns, device, cidr)
            return cloud

    def start_agent(self, interval: float = 1.0) -> None:
        """In the background, sync_services whenever the controller's cloud version changes
        (the launcher's interactive session: `overlay router-create ...` just works)."""
        network_nodes = [n.name for n in self.cloud.nodes if n.role == ROLE_NETWORK]
        agent = Client(self.controller.api_url, token=self.controller.auth_token,
                       agent_host=network_nodes[0] if network_nodes else "")
        seen = [agent.cloud()["version"]]

        def loop():
            while not self._agent_stop.wait(interval):
                try:
                    version = agent.cloud()["version"]
                    if version != seen[0]:
                        self.sync_services()
                        seen[0] = version
                except Exception as exc:  # noqa: BLE001 - keep serving; say what failed
                    print(f"*** network node agent: {type(exc).__name__}: {exc}")
        self._agent = threading.Thread(target=loop, name="network-node-agent", daemon=True)
        self._agent.start()

    def plug(self, port: str) -> str:
        """Start and plug the VM of a bound port the API created (Nova's part); `port` is
        its id or name. Returns the VM's name (KeyError for no such port)."""
        with self._lock:
            self.sync_services()  # the port may be newer than its dnsmasq hosts file
            found = self.ec.find_port(port)
            self.ec.add_vm(found)
        self.ec.wait_vm_addresses()  # (a DHCP network's VM: until it has its lease)
        return self.ec.vm_name(found)

    def unplug(self, vm: str) -> None:
        """Unplug and stop a VM (by its name, or its port's id); the port stays."""
        with self._lock:
            if vm not in self.ec.vms:
                vm = next((n for n, p in self.ec.plugged.items() if p.id == vm), vm)
            self.ec.remove_vm(vm)

    def restart_controller(self) -> ControllerProcess:
        """A new osken-manager on the same log (appended), after the old one stopped or died."""
        if self.controller is not None and self.controller.alive:
            raise RuntimeError("the controller is still running")
        return self.start_controller()

    def restart_vswitchd(self, node: str) -> None:
        """Restart one node's ovs-vswitchd; the userspace tunnel neighbour cache goes with
        it and is seeded again, as at first start."""
        host, spec = self.ec.nodes[node], self.cloud.node(node)
        pid = host.ovs.restart_vswitchd()
        if pid:
            self.ec.state.add_pid(pid, "ovs-vswitchd")
        # br-phy's device appears once the new daemon has read its database
        wait_for(lambda: _has_port(host.ovs, BR_PHY), RESTART_TIMEOUT,
                 f"{node}: br-phy back in ovs-vswitchd")
        configure_phy(host, spec, self.cloud.fabric)
        seed_tunnel_neighbours(host, spec, self.cloud)

    def wait_converged(self, timeout: float = CONVERGE_TIMEOUT, progress=None) -> float:
        """Until every bridge is exact for the controller's cloud as it is at each poll (an
        API change made meanwhile, by a test or a user, is what the switches follow: a
        cloud read before it would never be reached)."""
        alive = (lambda: self.controller.alive) if self.controller else (lambda: True)
        def current() -> Cloud:
            try:
                return self.refresh() if self.controller and self.controller.alive \
                    else self.cloud
            except OSError:   # (the API not up yet, or going: what we have)
                return self.cloud
        try:
            return converge.wait_converged(self.cloud, self.ovs, timeout, alive, current,
                                           progress)
        except (TimeoutError, RuntimeError) as exc:
            tail = "\n".join(self.controller.log_text().splitlines()[-20:]) \
                if self.controller else ""
            raise type(exc)(f"{exc}\ncontroller log (last lines):\n{tail}") from None

    def stop(self) -> None:
        if self._agent is not None:
            self._agent_stop.set()
            self._agent.join(timeout=30)
            self._agent = None
        if self.controller is not None:
            self.controller.stop()
        self.ec.stop()

    def __enter__(self) -> Deployment:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----------------------------------------------------------------------------- figures
    def memory_mib(self) -> float:
        """Resident memory of every process of the deployment (OVS, shells, controller)."""
        total = 0
        for entry in self.ec.state.data["pids"] if self.ec.state else []:
            if entry["program"] in proc_name(entry["pid"]):
                total += _rss_kib(entry["pid"])
        return total / 1024

    def flow_count(self) -> int:
        return sum(len(converge.installed_flows(ovs, br)) for name, ovs in self.ovs.items()
                   for br in bridges_of(self.cloud.node(name)))


def _has_port(ovs: OvsInstance, name: str) -> bool:
    """Whether the datapath has the port (False while ovs-vswitchd is not answering yet)."""
    try:
        return name in ovs.appctl("dpif/show")
    except OvsError:
        return False


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
