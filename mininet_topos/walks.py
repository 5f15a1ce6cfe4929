"""Seed 002's packet walks and the isolation check, on a running deployment, with evidence.

Each function returns a Check (passed, and what was measured); `make demo` prints them and the
integration tests assert on them, so both exercise the very same code.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from cloud.model import TYPE_VXLAN, Port
from cloud.naming import BR_INT, BR_TUN, PATCH_INT, PATCH_TUN
from flows import tables as t
from flows.flow import Output
from flows.neigh import ipv4s, ipv6s
from mininet_topos.cloud import EXT_GATEWAY_HOST
from mininet_topos.converge import installed_flows
from mininet_topos.deployment import Deployment
from mininet_topos.node import DATA_IF
from mininet_topos.traffic import Capture, flow_counters, ping

COUNT = 10
INTERVAL = 0.05
COUNTER_DEADLINE = 5.0


def poll_until(read, good, timeout: float, interval: float = 0.1):
    """Read until good(value) or the deadline; returns the last value either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if good(value) or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@dataclass
class Check:
    name: str
    passed: bool
    detail: str

    def __str__(self) -> str:
        return f"[{'PASS' if self.passed else 'FAIL'}] {self.name}: {self.detail}"


def port(d: Deployment, name: str) -> Port:
    return next(p for p in d.cloud.ports if p.name == name)


def _pid(d: Deployment, name: str) -> int:
    return d.ec.host(name).pid


def _capture_pid(d: Deployment, pid: int, iface: str, bpf: str) -> Capture:
    """tcpdump in the namespaces of process `pid`, recorded for cleanup."""
    return Capture(pid, iface, bpf, on_start=lambda p: d.ec.state.add_pid(p, "tcpdump"))


def _capture(d: Deployment, host: str, iface: str, bpf: str) -> Capture:
    return _capture_pid(d, _pid(d, host), iface, bpf)


def uplink_nic(d: Deployment, node: str, network) -> str:
    """Where a network's frames leave a node: the data NIC (the tunnel underlay) for VXLAN and
    GRE, the physical network's NIC (of br-ethN) for VLAN and flat."""
    if network.tunnelled:
        return DATA_IF
    return d.cloud.node(node).mapping(network.physical_network).nic


def walk1(d: Deployment, src: str, dst: str) -> Check:
    """Same host, same network: br-int switches it and br-tun (or br-ethN) never sees it.

    Evidence: the br-int flows that delivered the echo requests and replies (counted both
    ways: the destination's firewall or its switching flow) output only to that VM's port,
    and the node's uplink (data link, or physical network NIC) carries none of the two VMs'
    frames meanwhile.
    """
    a, b = port(d, src), port(d, dst)
    link = uplink_nic(d, a.node, d.cloud.network(a.network_id))
    ovs = d.ovs[a.node]
    ping(_pid(d, src), ipv4s(b)[0], count=1)  # ARP resolution (its broadcast may flood)
    before = flow_counters(ovs, BR_INT)
    from_int = (t.TUN_LOCAL_SWITCHING, t.PRIORITY_CLASSIFY,
                (("in_port", ovs.ofports(BR_TUN)[PATCH_INT]),))
    tun_before = flow_counters(ovs, BR_TUN).get(from_int, 0)
    ofports = ovs.ofports(BR_INT)
    installed = installed_flows(ovs, BR_INT).values()

    def outputs(flow) -> set[int]:
        return {act.port for act in flow.actions if isinstance(act, Output)}

    def delivering(device: str) -> set:
        """Keys of the flows that output to this port, and to nothing else."""
        return {f.key for f in installed if outputs(f) == {ofports[device]}}

    def to(device: str):
        keys = delivering(device)
        return lambda: sum(n - before.get(k, 0) for k, n in flow_counters(ovs, BR_INT).items()
                           if k in keys)
    with _capture(d, a.node, link, "") as cap:
        result = ping(_pid(d, src), ipv4s(b)[0], count=COUNT, interval=INTERVAL)
        # OVS pushes datapath statistics to flow counters lazily: poll with a deadline
        to_b = poll_until(to(b.device), lambda n: n >= result.received, COUNTER_DEADLINE)
        to_a = poll_until(to(a.device), lambda n: n >= result.received, COUNTER_DEADLINE)
    on_wire = cap.count(a.mac, b.mac)
    tun_delta = flow_counters(ovs, BR_TUN).get(from_int, 0) - tun_before
    only_vm_ports = bool(delivering(a.device)) and bool(delivering(b.device)) and \
        ofports[PATCH_TUN] not in {ofports[a.device], ofports[b.device]}
    net = d.cloud.network(a.network_id).name
    return Check(f"walk 1, same host ({net}): {src} -> {dst} on {a.node}",
                 result.ok and to_b >= result.received and to_a >= result.received
                 and only_vm_ports and on_wire == 0,
                 f"{result}; br-int delivered {to_b} frames to {dst} and {to_a} back, by flows "
                 f"that output only to VM ports; {on_wire} of their frames on {a.node}'s "
                 f"{link}; br-tun's in_port=patch-int flow counted +{tun_delta} packets meanwhile")


def walk2(d: Deployment, src: str, dst: str) -> Check:
    """Different hosts: tagged on br-int, tunnelled by br-tun with the network's tun_id."""
    a, b = port(d, src), port(d, dst)
    net = d.cloud.network(a.network_id)
    vxlan = net.type == TYPE_VXLAN
    bpf = "udp port 4789" if vxlan else "ip proto 47"
    marker = f"vni {net.segmentation_id}" if vxlan else f"key=0x{net.segmentation_id:x}"
    with _capture(d, a.node, DATA_IF, bpf) as cap:
        result = ping(_pid(d, src), ipv4s(b)[0], count=COUNT, interval=INTERVAL)
    tunnelled = cap.count(marker)
    return Check(f"walk 2, cross host over {net.type.upper()} ({net.name}): "
                 f"{src}@{a.node} -> {dst}@{b.node}",
                 result.ok and tunnelled >= 2 * COUNT,
                 f"{result}; {tunnelled} packets with {marker} on {a.node}'s data link "
                 f"(requests out, replies in)")


def walk_nd(d: Deployment, src: str, dst: str) -> Check:
    """IPv6 across hosts with neighbour discovery answered on the asker's node (L2 population).

    Evidence: the first echo is answered; the asker's neighbour entry for the target is
    REACHABLE with the target's MAC (a solicited advertisement); no neighbour solicitation or
    advertisement crosses the data link, and the target never sees a solicitation for itself.
    """
    a, b = port(d, src), port(d, dst)
    target = ipv6s(b)[0]
    d.ec.vm_run(src, "ip", "-6", "neigh", "flush", "dev", "eth0")
    with _capture(d, a.node, DATA_IF, "") as wire, _capture(d, dst, "eth0", "icmp6") as at_b:
        result = ping(_pid(d, src), target, count=1, wait=2, family=6)
    neigh = d.ec.vm_run(src, "ip", "-6", "neigh", "show", target, "dev", "eth0").stdout.strip()
    nd_on_wire = wire.count("neighbor solicitation") + wire.count("neighbor advertisement")
    echoes = wire.count("ICMP6, echo")
    asked_b = at_b.count(f"neighbor solicitation, who has {target}")
    return Check(f"IPv6 with ND answered locally: {src}@{a.node} -> {dst}@{b.node} ({target})",
                 result.ok and b.mac in neigh and "REACHABLE" in neigh and nd_on_wire == 0
                 and echoes >= 2 and asked_b == 0,
                 f"{result} to the first echo; neighbour entry '{neigh}'; {nd_on_wire} ND "
                 f"packets and {echoes} echoes on {a.node}'s data link; {dst} saw {asked_b} "
                 f"solicitations for itself")


def walk4(d: Deployment, vm: str) -> Check:
    """Seed 002's walk 4: the VM asks for its address by DHCP. Evidence: DISCOVER/REQUEST
    broadcast and OFFER/ACK unicast seen in the network node's qdhcp namespace; on the VM's
    node's data link the requests go to the network node only and the replies come back
    unicast; no other compute sees any of it on its data link; the VM ends with its IP,
    gateway and MTU. On a VLAN or flat network the requests leave on the physical network's
    NIC with the provider tag (flat: none), as broadcasts (no L2 population there)."""
    from mininet_topos import dhcp
    p = port(d, vm)
    net = d.cloud.network(p.network_id)
    pid, server = d.ec.dhcp.servers[net.id].pid, d.ec.dhcp.servers[net.id].port
    server_node = d.cloud.node(server.node)
    others = [n.name for n in d.cloud.nodes if n.role == "compute" and n.name != p.node]
    script = dhcp.write_client_script(d.ec.rundir)
    with contextlib.ExitStack() as stack:
        in_ns = stack.enter_context(_capture_pid(d, pid, dhcp.ns_name(server),
                                                 "udp port 67 or udp port 68"))
        wire = stack.enter_context(_capture(d, p.node, uplink_nic(d, p.node, net), ""))
        rest = [stack.enter_context(_capture(d, n, DATA_IF, "")) for n in others]
        d.ec.vm_run(vm, *dhcp.client_argv(script))
    asked = in_ns.count("ff:ff:ff:ff:ff:ff", f"BOOTP/DHCP, Request from {p.mac}")
    answered = in_ns.count(f"{server.mac} > {p.mac}", "BOOTP/DHCP, Reply")
    requests = [x for x in wire.packets if "BOOTP/DHCP, Request" in x]
    if net.tunnelled:
        towards = (f"> {server_node.tunnel_ip}.", f"> {server_node.tunnel_ip}:")  # VXLAN, GRE
        to_server = bool(requests) and all(any(t in x for t in towards) for x in requests)
        route = f"left {p.node} for {server.node} only"
    else:
        tag = f"vlan {net.segmentation_id}," if net.segmentation_id else "ethertype IPv4"
        to_server = bool(requests) and all(tag in x for x in requests)
        route = f"left {p.node} on {net.physical_network} with {tag.rstrip(',')}"
    unicast = all(f"> {p.mac}" in x for x in wire.packets if "BOOTP/DHCP, Reply" in x)
    elsewhere = sum(c.count("BOOTP/DHCP") for c in rest)
    conf = d.ec.vm_run(vm, "sh", "-c", "ip -4 -o addr show dev eth0; ip -4 route; "
                       "cat /sys/class/net/eth0/mtu").stdout
    ip = ipv4s(p)[0]
    gateway = net.subnet(4).gateway_ip
    configured = (f"inet {ip}/" in conf and f"default via {gateway}" in conf
                  and conf.split()[-1] == str(net.mtu))
    return Check(f"walk 4, DHCP ({net.name}): {vm}@{p.node} <- dnsmasq in qdhcp on "
                 f"{server.node}",
                 asked >= 2 and answered >= 2 and to_server and unicast and elsewhere == 0
                 and configured,
                 f"qdhcp saw {asked} broadcast requests and {answered} unicast replies; "
                 f"{len(requests)} requests {route}; "
                 f"{elsewhere} DHCP packets on {', '.join(others) or 'no other compute'}; "
                 f"{vm} has {ip}, gateway {gateway}, MTU {conf.split()[-1]}")


def _ping_out(d: Deployment, vm: str) -> tuple:
    """The VM pings the external gateway host, which captures what arrives: (ping, capture)."""
    gateway = str(d.cloud.external.gateway_ip)
    with _capture(d, EXT_GATEWAY_HOST, "eth0", "icmp") as cap:
        result = ping(_pid(d, vm), gateway, count=COUNT, interval=INTERVAL)
    return result, cap


def walk3_snat(d: Deployment, vm: str) -> Check:
    """Seed 002's walk 3 outbound, for a VM without a floating IP: tunnelled to the network
    node, routed by its router's qrouter namespace, out of qg- on br-ex with the source
    translated to the qg address. Evidence: the external gateway host sees the echoes come
    from the qg address and never from the VM's own address."""
    p = port(d, vm)
    router, ext = d.cloud.gateway_router(p.network_id), d.cloud.external
    fixed = ipv4s(p)[0]
    result, cap = _ping_out(d, vm)
    snat = cap.count(f"{router.gateway.ip} > {ext.gateway_ip}: ICMP echo request")
    leaked = cap.count(f"{fixed} > ")
    return Check(f"walk 3, SNAT: {vm}@{p.node} -> {ext.gateway_ip} (external gateway) via "
                 f"{router.name}",
                 result.ok and snat >= COUNT and leaked == 0,
                 f"{result}; the external host saw {snat} requests from {router.gateway.ip} "
                 f"({router.gateway.device}) and {leaked} from {fixed}")


def walk3_floating(d: Deployment, vm: str) -> Check:
    """Walk 3 with a floating IP: the external host reaches the VM at its floating IP
    (DNAT to the fixed IP; the VM sees the external host's own address), and what the VM
    sends out leaves with the floating IP as its source (SNAT), not the router's."""
    p = port(d, vm)
    fip = next(f for f in d.cloud.floating_ips if f.port_id == p.id)
    ext, fixed = d.cloud.external, ipv4s(p)[0]
    with _capture(d, vm, "eth0", "icmp") as at_vm:
        inbound = ping(_pid(d, EXT_GATEWAY_HOST), str(fip.ip), count=COUNT, interval=INTERVAL)
    outbound, at_ext = _ping_out(d, vm)
    dnat = at_vm.count(f"{ext.gateway_ip} > {fixed}: ICMP echo request")
    snat = at_ext.count(f"{fip.ip} > {ext.gateway_ip}: ICMP echo request")
    return Check(f"walk 3, floating IP: {ext.gateway_ip} (external) <-> {fip.ip} = "
                 f"{vm}@{p.node} ({fixed})",
                 inbound.ok and outbound.ok and dnat >= COUNT and snat >= COUNT,
                 f"in: {inbound}, {vm} saw {dnat} requests from {ext.gateway_ip} to {fixed}; "
                 f"out: {outbound}, the external host saw {snat} requests from {fip.ip}")


def routed(d: Deployment, src: str, dst: str, expect: bool) -> Check:
    """Between two subnets: reachable (untranslated: dst sees src's own address) exactly
    when one router has both; otherwise nothing arrives."""
    a, b = port(d, src), port(d, dst)
    to = ipv4s(b)[0]
    with _capture(d, dst, "eth0", "icmp") as cap:
        result = ping(_pid(d, src), to, count=COUNT if expect else 3, interval=INTERVAL,
                      wait=1.0 if expect else 0.5)
    arrived = cap.count(f"> {to}: ICMP echo request")
    direct = cap.count(f"{ipv4s(a)[0]} > {to}: ICMP echo request")
    nets = f"{d.cloud.network(a.network_id).name} -> {d.cloud.network(b.network_id).name}"
    same = [r.name for r in d.cloud.routers_of(a.network_id)
            if r in d.cloud.routers_of(b.network_id)]
    where = f"both on {same[0]}" if same else "on different routers"
    passed = (result.ok and direct == arrived >= COUNT) if expect else \
        (result.received == 0 and arrived == 0)
    return Check(f"routing {nets} ({where}): {src} -> {dst} ({to}) "
                 f"{'routed' if expect else 'not routed'}", passed,
                 f"{result}; {dst} saw {arrived} requests, {direct} from {ipv4s(a)[0]}")


def move_interface(d: Deployment, network: str, to_router: str) -> None:
    """Through the API, as `overlay router-interface-remove` / `-add` do: the network's IPv4
    subnet leaves whichever router has it and joins `to_router`; the network node follows."""
    api = d.api
    net = next(n for n in api.list("networks") if n["name"] == network)
    subnet = next(s["id"] for s in api.list("subnets")
                  if s["network_id"] == net["id"] and s["ip_version"] == 4)
    routers = {r["name"]: r["id"] for r in api.list("routers")}
    for port in api.list("ports"):
        if port["network_id"] == net["id"] and port["device_owner"] == \
                "network:router_interface":
            api.request("PUT", f"/routers/{port['device_id']}/remove_router_interface",
                        {"port_id": port["id"]})
    api.request("PUT", f"/routers/{routers[to_router]}/add_router_interface",
                {"subnet_id": subnet})
    d.sync_services()
    d.wait_converged(20)


def one_router_routes(d: Deployment, src: str, dst: str, router: str) -> list[Check]:
    """src's and dst's subnets on different routers: not routed; src's subnet moved onto
    `router` (dst's): routed; moved back: not routed again."""
    own = d.cloud.routers_of(port(d, src).network_id)[0].name
    network = d.cloud.network(port(d, src).network_id).name
    checks = [routed(d, src, dst, expect=False)]
    try:
        move_interface(d, network, router)
        checks.append(routed(d, src, dst, expect=True))
    finally:
        move_interface(d, network, own)
    checks.append(routed(d, src, dst, expect=False))
    return checks


def isolation(d: Deployment, src: str, same_ip_other_net: str, same_ip_own_net: str) -> Check:
    """Identical IPs in two networks: each network only ever reaches its own VM, and even
    addressing the other network's VM by its MAC gets no reply."""
    a, other, own = (port(d, n) for n in (src, same_ip_other_net, same_ip_own_net))
    ip = ipv4s(other)[0]
    if ip != ipv4s(own)[0] or other.network_id == own.network_id:
        raise ValueError(f"{same_ip_other_net} and {same_ip_own_net} must share an IP in two "
                         "networks")
    src_pid = _pid(d, src)
    with _capture(d, same_ip_other_net, "eth0", "icmp") as cap:
        normal = ping(src_pid, ip, count=COUNT, interval=INTERVAL)
        neigh = d.ec.vm_run(src, "ip", "neigh", "show", ip).stdout
        d.ec.vm_run(src, "ip", "neigh", "replace", ip, "lladdr", other.mac, "dev", "eth0",
                    "nud", "permanent")
        try:
            forged = ping(src_pid, ip, count=5, interval=INTERVAL, wait=0.5)
        finally:
            d.ec.vm_run(src, "ip", "neigh", "del", ip, "dev", "eth0")
    answered_by_own = own.mac in neigh
    return Check(f"isolation: {src} -> {ip} exists in both networks",
                 normal.ok and answered_by_own and forged.received == 0 and cap.count("") == 0,
                 f"answered by {same_ip_own_net} ({own.mac}): {normal}; sent to "
                 f"{same_ip_other_net}'s MAC {other.mac}: {forged}; {same_ip_other_net} saw "
                 f"{cap.count('')} ICMP packets")


def seed_walks(d: Deployment) -> list[Check]:
    """The demo's checks on the seed cloud (or any cloud of its shape)."""
    return [walk1(d, "vm-a1", "vm-a2"), walk1(d, "vm-b1", "vm-b2"),
            walk2(d, "vm-a1", "vm-a3"), walk2(d, "vm-b1", "vm-b3"),
            *[walk4(d, vm) for vm in ("vm-a1", "vm-b3")
              if d.cloud.network(port(d, vm).network_id).enable_dhcp],
            *([walk_nd(d, "vm-a1", "vm-a3"), walk_nd(d, "vm-b3", "vm-b1")]
              if d.cloud.l2_population and ipv6s(port(d, "vm-a3")) else []),
            isolation(d, "vm-a1", "vm-b3", "vm-a3"), isolation(d, "vm-b1", "vm-a3", "vm-b3"),
            *([walk3_snat(d, "vm-a3"), walk3_floating(d, "vm-a1"),
               *one_router_routes(d, "vm-c1", "vm-a3", "TenantA-R1")]
              if d.cloud.floating_ips else [])]
