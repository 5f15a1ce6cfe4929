"""Benchmark 8: security groups (Neutron's openvswitch firewall in br-int).

- flows: one compute with 200 ports (4 networks x 50) all in group `web`, whose 20 ingress
  rules (TCP 8000..8019) each admit the group itself (remote group): the firewall's flows on
  that node, against what the same rules need without conjunctions (a flow per port, member
  and rule, in each of the two states);
- rule change: on the seed cloud, a rule added or deleted through the API until every
  bridge with a filtered port (compute1's and compute2's br-int) has committed a bundle
  opened after the controller logged the change;
- throughput: iperf3 TCP from vm-a1 (compute1) to vm-a3 (compute2) through their default
  group (conntrack on both ends), against the same ports without port security.
"""
from __future__ import annotations

import statistics
import time

from bench import emulated
from bench.dataplane import _iperf
from bench.report import Figure
from cloud import schema
from cloud.naming import BR_INT
from flows import cloudsim, desired
from flows import tables as t
from mininet_topos.deployment import Deployment
from mininet_topos.ovs import wait_for
from tests.conftest import SEED
from tests.support.bad_requests import DEFAULT_SG

PORTS, NETWORKS, RULES = 200, 4, 20
FIREWALL_TABLES = {t.TRANSIENT, t.BASE_EGRESS, t.RULES_EGRESS, t.ACCEPT_OR_INGRESS,
                   t.BASE_INGRESS, t.RULES_INGRESS, t.ACCEPTED_EGRESS_TRAFFIC,
                   t.ACCEPTED_INGRESS_TRAFFIC, t.DROPPED_TRAFFIC}
WAIT = 30.0


def _document() -> dict:
    per = PORTS // NETWORKS
    nodes = [{"name": "network", "role": "network", "management_ip": "192.168.10.10",
              "tunnel_ip": "192.168.100.10"},
             {"name": "compute1", "role": "compute", "management_ip": "192.168.10.11",
              "tunnel_ip": "192.168.100.11"}]
    nets = [{"id": f"00000000-0000-4000-8000-{i:012x}", "name": f"net{i}", "type": "vxlan",
             "segmentation_id": 100 + i, "subnets": [{"cidr": f"10.{i}.0.0/24"}]}
            for i in range(NETWORKS)]
    ports = [{"id": f"{n:08x}-0000-4000-9000-000000000000", "name": f"p{n}",
              "network": f"net{n // per}", "node": "compute1",
              "mac": "fa:16:3e:00:%02x:%02x" % divmod(n, 256),
              "ip": f"10.{n // per}.0.{10 + n % per}", "security_groups": ["web"]}
             for n in range(PORTS)]
    rules = [{"direction": "ingress", "protocol": "tcp", "port_range_min": 8000 + r,
              "port_range_max": 8000 + r, "remote_group": "web"} for r in range(RULES)]
    rules.append({"direction": "egress"})
    return {"cloud": "bfw", "management": {"cidr": "192.168.10.0/24",
                                           "controller": "192.168.10.1"},
            "data": {"cidr": "192.168.100.0/24"}, "nodes": nodes, "networks": nets,
            "ports": ports, "security_groups": [{"name": "web", "rules": rules}]}


def flow_counts() -> tuple[int, int]:
    """(the firewall's flows on the node, the flows the same rules need without
    conjunctions: ports x members x rules x 2 states)."""
    cloud = schema.parse(_document(), "bench")
    flows = desired.node_flows(cloudsim.node_view(cloud, "compute1"))[BR_INT]
    ours = sum(1 for f in flows.values() if f.table in FIREWALL_TABLES)
    return ours, PORTS * PORTS * RULES * 2


def _rule_change(d: Deployment, body: dict | None, rule_id: str | None) -> tuple[float, str]:
    """Seconds from the request to both br-int's bundles committed; the rule's id."""
    labels = {f"compute1/{BR_INT}", f"compute2/{BR_INT}"}
    offset = d.controller.log_size()
    start = time.time()
    if body is not None:
        made = d.api.request("POST", "/security-group-rules", {"security_group_rule": body})
        rule_id = made["security_group_rule"]["id"]
        what = f"create security_group_rule {rule_id}"
    else:
        d.api.request("DELETE", f"/security-group-rules/{rule_id}")
        what = f"delete security_group_rule {rule_id}"

    def done():
        text = d.controller.log_since(offset)
        change = emulated.change_time(text, what)
        if change is None:
            return None
        seen = {label: when for when, label, _, ms in emulated.commits(text)
                if label in labels and when - ms / 1000 >= change}
        return max(seen.values()) if set(seen) == labels else None
    committed = wait_for(done, WAIT, "the rule's bundles committed", interval=0.005)
    return emulated.since(start, committed), rule_id


def run(quick: bool = False) -> list[Figure]:
    ours, plain = flow_counts()
    changes = 5 if quick else 15
    runs = 2 if quick else 3
    d = Deployment.from_file(SEED)
    latency, with_sg, without = [], [], []
    try:
        d.start()
        for i in range(changes):
            body = {"security_group_id": DEFAULT_SG, "direction": "ingress",
                    "protocol": "tcp", "port_range_min": 9000 + i, "port_range_max": 9000 + i}
            seconds, rule_id = _rule_change(d, body, None)
            latency.append(seconds * 1000)
            seconds, _ = _rule_change(d, None, rule_id)
            latency.append(seconds * 1000)
        a1, a3 = d.ec.vms["vm-a1"].pid, d.ec.vms["vm-a3"].pid
        with_sg += [_iperf(d, a3, a1, "10.0.0.6") for _ in range(runs)]
        for name in ("vm-a1", "vm-a3"):
            port = next(p for p in d.cloud.ports if p.name == name)
            d.api.request("PUT", f"/ports/{port.id}", {"port": {
                "security_groups": [], "port_security_enabled": False}})
        d.refresh()
        d.wait_converged(30)
        without += [_iperf(d, a3, a1, "10.0.0.6") for _ in range(runs)]
        emulated.check_log(d.controller)
    finally:
        d.stop()
    ratio = statistics.median(with_sg) / statistics.median(without)
    return [
        Figure("8 security groups", f"firewall flows on a node: {PORTS} ports x {RULES} "
               "remote-group rules", "flows", [ours], [plain], "without conjunctions",
               goal="ratio <= 0.05", met=ours * 20 <= plain),
        Figure("8 security groups", "seed: a rule created or deleted through the API to its "
               "bundles committed on both computes", "ms", latency,
               note=f"{changes} creates and {changes} deletes"),
        Figure("8 security groups", "VM to VM over VXLAN, iperf3 TCP through the default "
               "group (conntrack both ends)", "Gbit/s", with_sg, without,
               "without port security", goal=">= 0.8 of without (issue 13)", met=ratio >= 0.8),
    ]
