"""1,000 random API operations on a running 4-node cloud (network node + 3 computes, each
mapping physnet1): networks (VXLAN, GRE, VLAN, flat) and subnets created and deleted, ports
created, moved, deleted, some VMs plugged, security groups created and deleted, rules added and
removed, ports' groups, port security and allowed address pairs changed; a tenth of the
requests are invalid and must change nothing. Afterwards every bridge's flow table must be
exactly the flows computed from the final cloud (dumps parsed with python-ovs's ovs.flow
parser): 0 missing, 0 different, 0 stale, tunnels exact."""
import random

import pytest
import yaml

from cloud import generate
from controller.client import ApiError
from mininet_topos import converge
from tests.integration.conftest import run_deployment

OPERATIONS = 1000
SEED = 20261121
COMPUTES = ("compute1", "compute2", "compute3")


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    path = tmp_path_factory.mktemp("four") / "four.yaml"
    path.write_text(yaml.safe_dump(generate.generate(3, name="four", physnet=True),
                                   sort_keys=False))
    yield from run_deployment(path)


class Tenant:
    """The random client: keeps what it created, picks the next operation."""

    def __init__(self, d, rng: random.Random):
        self.d, self.api, self.rng = d, d.api, rng
        self.nets: dict[str, dict] = {}    # id -> network (with "v4", "v6" flags)
        self.ports: dict[str, dict] = {}   # id -> port
        self.plugged: set[str] = set()     # port names with a VM
        self.groups: list[str] = []        # security groups it made
        self.rules: list[str] = []         # rules it made
        self.counter = 0
        self.counts: dict[str, int] = {}

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def step(self) -> None:
        r = self.rng.random()
        if r < 0.10:
            op = self.invalid
        elif not self.nets or r < 0.16:
            op = self.create_network
        elif r < 0.45:
            op = self.create_port
        elif r < 0.57:
            op = self.move_port
        elif r < 0.72:
            op = self.delete_port
        elif r < 0.76:
            op = self.delete_network
        elif r < 0.80:
            op = self.plug_or_unplug
        elif r < 0.83:
            op = self.create_or_delete_group
        elif r < 0.92:
            op = self.add_or_remove_rule
        else:
            op = self.port_security
        self.counts[op.__name__] = self.counts.get(op.__name__, 0) + 1
        op()

    def create_network(self) -> None:
        kind = self.rng.choice(("vxlan", "gre", "vlan", "vlan", "flat"))
        attrs = {"provider:network_type": kind}
        if kind == "flat":
            if any(n["provider:network_type"] == "flat" for n in self.nets.values()):
                kind = attrs["provider:network_type"] = "vlan"   # (one flat per physnet)
            else:
                attrs["provider:physical_network"] = "physnet1"
        net = self.api.create("networks", name=self.name("n"), **attrs)
        index = len(self.nets) + self.counter
        self.api.create("subnets", network_id=net["id"], cidr=f"10.{100 + index % 150}.0.0/24",
                        enable_dhcp=self.rng.random() < 0.5)
        if self.rng.random() < 0.5:
            self.api.create("subnets", network_id=net["id"], cidr=f"fd00:{index % 65536:x}::/64")
        self.nets[net["id"]] = net

    def create_port(self) -> None:
        net = self.rng.choice(list(self.nets))
        port = self.api.create("ports", network_id=net, name=self.name("p"),
                               **{"binding:host_id": self.rng.choice(COMPUTES)})
        self.ports[port["id"]] = port

    def _some_port(self, plugged_ok: bool = True):
        choices = [p for p in self.ports.values()
                   if plugged_ok or p["name"] not in self.plugged]
        return self.rng.choice(choices) if choices else None

    def move_port(self) -> None:
        port = self._some_port(plugged_ok=False)
        if port is not None:
            host = self.rng.choice([c for c in COMPUTES if c != port["binding:host_id"]])
            self.ports[port["id"]] = self.api.update("ports", port["id"],
                                                     **{"binding:host_id": host})

    def delete_port(self) -> None:
        port = self._some_port()
        if port is not None:
            if port["name"] in self.plugged:
                self.d.unplug(port["name"])
                self.plugged.discard(port["name"])
            self.api.delete("ports", port["id"])
            del self.ports[port["id"]]

    def delete_network(self) -> None:
        net = self.rng.choice(list(self.nets))
        in_use = any(p["network_id"] == net for p in self.ports.values())
        try:
            self.api.delete("networks", net)
            assert not in_use, "a network with ports was deleted"
            del self.nets[net]
        except ApiError as exc:
            assert in_use and exc.status == 409, exc

    def plug_or_unplug(self) -> None:
        if self.plugged and self.rng.random() < 0.4:
            name = self.rng.choice(sorted(self.plugged))
            self.d.unplug(name)
            self.plugged.discard(name)
            return
        port = self._some_port(plugged_ok=False)
        if port is not None and len(self.plugged) < 8:
            self.d.plug(port["name"])
            self.plugged.add(port["name"])

    # ------------------------------------------------------------------- security groups
    def sg(self, method: str, path: str, body=None):
        return self.api.request(method, path, body)

    def default_group(self) -> str:
        return self.sg("GET", "/security-groups?name=default")["security_groups"][0]["id"]

    def create_or_delete_group(self) -> None:
        if self.groups and self.rng.random() < 0.2:   # a change: name, description
            gid = self.rng.choice(self.groups)
            self.sg("PUT", f"/security-groups/{gid}", {"security_group": {
                "name": self.name("g"), "description": self.name("d")}})
            return
        if self.groups and self.rng.random() < 0.4:
            gid = self.rng.choice(self.groups)
            used = any(gid in p.get("security_groups", ()) for p in self.ports.values())
            try:
                self.sg("DELETE", f"/security-groups/{gid}")
                assert not used, "a group in use was deleted"
                self.groups.remove(gid)
                left = {r["id"] for g in self.sg("GET", "/security-groups")["security_groups"]
                        for r in g["security_group_rules"]}
                self.rules = [r for r in self.rules if r in left]
            except ApiError as exc:
                assert used and exc.status == 409, exc
            return
        made = self.sg("POST", "/security-groups",
                       {"security_group": {"name": self.name("g")}})["security_group"]
        self.groups.append(made["id"])

    def add_or_remove_rule(self) -> None:
        if self.rules and self.rng.random() < 0.4:
            rid = self.rules.pop(self.rng.randrange(len(self.rules)))
            self.sg("DELETE", f"/security-group-rules/{rid}")
            return
        groups = self.groups + [self.default_group()]
        rule = {"security_group_id": self.rng.choice(groups),
                "direction": self.rng.choice(("ingress", "egress")),
                "ethertype": self.rng.choice(("IPv4", "IPv6"))}
        kind = self.rng.choice(("tcp", "udp", "icmp", None))
        if kind:
            rule["protocol"] = kind
        if kind in ("tcp", "udp"):
            low = self.rng.randrange(1, 65000)
            rule |= {"port_range_min": low, "port_range_max": low + self.rng.randrange(0, 300)}
        elif kind == "icmp" and self.rng.random() < 0.5:
            rule["port_range_min"] = self.rng.choice((0, 3, 8, 128))
        if self.rng.random() < 0.5:
            rule["remote_group_id"] = self.rng.choice(groups)
        elif self.rng.random() < 0.5:
            rule["remote_ip_prefix"] = ("10.%d.0.0/16" % self.rng.randrange(256)
                                        if rule["ethertype"] == "IPv4" else "fd00::/16")
        try:
            made = self.sg("POST", "/security-group-rules", {"security_group_rule": rule})
            self.rules.append(made["security_group_rule"]["id"])
        except ApiError as exc:
            assert exc.status == 409 and "already exists" in exc.message, exc

    def port_security(self) -> None:
        port = self._some_port()
        if port is None:
            return
        r = self.rng.random()
        if r < 0.2:
            attrs = {"security_groups": [], "allowed_address_pairs": [],
                     "port_security_enabled": False}
        elif r < 0.5:
            attrs = {"port_security_enabled": True, "allowed_address_pairs": [
                {"ip_address": "10.%d.%d.%d" % (self.rng.randrange(256),
                                                self.rng.randrange(256), 100)}]}
        else:
            attrs = {"port_security_enabled": True, "security_groups": self.rng.sample(
                self.groups + [self.default_group()],
                self.rng.randrange(0, min(3, len(self.groups) + 1) + 1))}
        self.ports[port["id"]] = self.api.update("ports", port["id"], **attrs)

    def invalid(self) -> None:
        """A request the API must refuse, changing nothing (the version says so)."""
        before = self.api.cloud()["version"]
        some = self._some_port()
        bad = [lambda: self.api.create("ports", network_id="missing",
                                       **{"binding:host_id": "compute1"}),
               lambda: self.api.create("networks", **{"provider:network_type": "vxlan",
                                                      "provider:segmentation_id": 2**24}),
               lambda: self.api.create("networks", **{"provider:network_type": "vlan",
                                                      "provider:physical_network": "physnet9"}),
               lambda: self.api.create("networks", **{"provider:network_type": "flat"})]
        taken = [n for n in self.nets.values() if n["provider:network_type"] in ("vlan", "flat")]
        if taken:
            n = self.rng.choice(taken)
            bad.append(lambda: self.api.create("networks", **{
                "provider:network_type": n["provider:network_type"],
                "provider:physical_network": "physnet1",
                **({"provider:segmentation_id": n["provider:segmentation_id"]}
                   if n["provider:segmentation_id"] else {})}))
        if some is not None:
            bad += [lambda: self.api.create("ports", network_id=some["network_id"],
                                            mac_address=some["mac_address"],
                                            **{"binding:host_id": "compute2"}),
                    lambda: self.api.update("ports", some["id"],
                                            **{"binding:host_id": "nowhere"}),
                    lambda: self.api.update("ports", some["id"],
                                            security_groups=[self.default_group()],
                                            port_security_enabled=False)]
        bad.append(lambda: self.sg("POST", "/security-group-rules", {"security_group_rule": {
            "security_group_id": self.default_group(), "direction": "ingress",
            "port_range_min": 22}}))
        with pytest.raises(ApiError) as refused:
            self.rng.choice(bad)()
        assert refused.value.status in (400, 409, 503)
        assert self.api.cloud()["version"] == before


def test_a_thousand_random_operations_leave_every_bridge_exact(four):
    tenant = Tenant(four, random.Random(SEED))
    for _ in range(OPERATIONS):
        tenant.step()
    cloud = four.sync_services()   # (the network node's DHCP servers follow, as its agent)
    four.wait_converged(60)
    reports = converge.check(cloud, four.ovs)
    assert all(r.ok for r in reports)
    flows = sum(len(converge.installed_flows(ovs, b)) for ovs in four.ovs.values()
                for b in ("br-int", "br-tun", "br-eth1"))
    kinds = {n.type for n in cloud.networks}
    assert {"vlan", "flat"} <= kinds or tenant.counts.get("create_network", 0) < 5, kinds
    print(f"\n    {OPERATIONS} operations {dict(sorted(tenant.counts.items()))}: "
          f"{len(cloud.networks)} networks, {len(cloud.ports)} ports, {flows} flows, all exact")
    assert len(cloud.ports) > 20, "the walk built something worth checking"
