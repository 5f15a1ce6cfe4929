"""Walk 3 of seed 002 and routing between subnets, on the seed cloud: each tenant's router in
a qrouter namespace on the network node, SNAT to its qg address, vm-a1's floating IP, and
TenantC-Net routed to TenantA-Net only while one router has both. Changes go through the API
(as `overlay router-interface-add` etc. do) and the network node follows (sync_services)."""
import os
import subprocess

from cloud.naming import BR_EX, BR_INT
from mininet_topos import walks
from mininet_topos.cloud import EXT_GATEWAY_HOST
from mininet_topos.traffic import ping

TENANT_A_R1 = "45765633-1bd6-41c7-bdfc-7d425818135a"
EXT = "8583f2ba-37da-4fa0-b312-f9b0979a4fea"


def namespaces() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_network_node_looks_like_seed_000(seed):
    """qrouter- and qdhcp- namespaces; qr- ports on br-int, qg- ports and the external NIC on
    br-ex (ovs-vsctl show), the router's devices inside its namespace."""
    assert {r.namespace for r in seed.cloud.routers} <= namespaces()
    ovs = seed.ovs["network"]
    assert {"qr-6defad4c-b2", "qr-0a6e3c8f-4b", "qr-7e4a2c9d-1f"} <= set(ovs.ofports(BR_INT))
    assert {"qg-d7e5d255-62", "eth2"} <= set(ovs.ofports(BR_EX))
    shown = ovs.vsctl("show")
    assert 'Port qr-6defad4c-b2' in shown or 'Port "qr-6defad4c-b2"' in shown
    inside = subprocess.run(["ip", "netns", "exec", f"qrouter-{TENANT_A_R1}", "ip", "-o",
                             "addr"], capture_output=True, text=True).stdout
    assert "qr-6defad4c-b2    inet 10.0.0.1/24" in inside
    assert "qg-d7e5d255-62    inet 10.1.101.240/24" in inside
    assert "inet 10.1.101.241/32" in inside  # the floating IP, beside the router's address


def test_walk3_snat_to_the_routers_address(seed):
    check = walks.walk3_snat(seed, "vm-a3")
    assert check.passed, str(check)


def test_walk3_floating_ip_both_ways(seed):
    check = walks.walk3_floating(seed, "vm-a1")
    assert check.passed, str(check)


def test_subnets_route_only_on_one_router(seed):
    """TenantC-Net and TenantA-Net on different routers: no route; TenantC's interface moved
    onto TenantA-R1 (router-interface-remove / -add through the API): routed, untranslated;
    moved back: no route again."""
    checks = walks.one_router_routes(seed, "vm-c1", "vm-a3", "TenantA-R1")
    assert [c.passed for c in checks] == [True, True, True], "\n".join(map(str, checks))
    assert walks.routed(seed, "vm-a2", "vm-c1", expect=False).passed


def test_floating_ip_through_the_api(seed):
    """floatingip-create for vm-b3 (TenantB-R1 has the gateway): the external host reaches
    it; floatingip-delete: it no longer does, and the address is gone from qg-."""
    api = seed.api
    b3 = next(p for p in api.list("ports") if p["name"] == "vm-b3")
    fip = api.create("floatingips", floating_network_id=EXT, port_id=b3["id"])
    address = fip["floating_ip_address"]
    ext_pid = seed.ec.host(EXT_GATEWAY_HOST).pid
    try:
        seed.sync_services()
        assert ping(ext_pid, address, count=3, interval=0.05).ok
    finally:
        api.delete("floatingips", fip["id"])
        seed.sync_services()
    assert ping(ext_pid, address, count=2, interval=0.05, wait=0.5).received == 0
    router = next(r for r in seed.cloud.routers if r.name == "TenantB-R1")
    on_qg = subprocess.run(["ip", "netns", "exec", router.namespace, "ip", "-o", "addr", "show",
                            "dev", router.gateway.device], capture_output=True, text=True)
    assert on_qg.returncode == 0 and f"inet {address}/" not in on_qg.stdout


def test_router_lifecycle_leaves_nothing(seed):
    """router-create with a gateway and an interface on a new network: the namespace appears
    with its qr- and qg-; interface removed, router and network deleted: the namespace and
    both OVS ports are gone."""
    api = seed.api
    net = api.create("networks", name="TenantE-Net")
    sub = api.create("subnets", network_id=net["id"], cidr="10.5.0.0/24")
    router = api.create("routers", name="TenantE-R1",
                        external_gateway_info={"network_id": EXT})
    added = api.request("PUT", f"/routers/{router['id']}/add_router_interface",
                        {"subnet_id": sub["id"]})
    seed.sync_services()
    assert f"qdhcp-{net['id']}" in namespaces()  # the subnet has DHCP: the agent serves it
    ns = f"qrouter-{router['id']}"
    qr = "qr-" + added["port_id"][:11]
    ovs = seed.ovs["network"]
    assert ns in namespaces() and qr in ovs.ofports(BR_INT)
    qg = next(p for p in ovs.ofports(BR_EX) if p.startswith("qg-") and p not in
              {r.gateway.device for r in seed.cloud.routers if r.id != router["id"]})
    api.request("PUT", f"/routers/{router['id']}/remove_router_interface",
                {"subnet_id": sub["id"]})
    api.delete("routers", router["id"])
    api.delete("networks", net["id"])
    seed.sync_services()
    seed.wait_converged(20)
    assert ns not in namespaces() and f"qdhcp-{net['id']}" not in namespaces()
    assert qr not in ovs.ofports(BR_INT) and qg not in ovs.ofports(BR_EX)
    assert not os.path.exists(f"/run/netns/{ns}")
