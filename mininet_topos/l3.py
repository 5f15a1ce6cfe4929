"""The network node's routers, as Neutron's legacy L3 agent makes them.

Per router, a `qrouter-<router id>` namespace with IP forwarding on and:
- per interface (a port with device_owner network:router_interface), `qr-<port id[:11]>`
  with the port's MAC and the subnet's gateway IP, its veth peer of the same name on br-int
  (so `ovs-vsctl show` lists qr- ports on br-int, as seed 000 shows);
- with a gateway, `qg-<port id[:11]>` on br-ex with the gateway's address, each floating IP
  as a /32 beside it, and the default route via the external network's gateway host;
- the nat table written whole with iptables-restore, in the chains Neutron uses: DNAT of each
  floating IP to its fixed IP (PREROUTING and OUTPUT), traffic between the router's own subnets
  left alone, then SNAT of each fixed IP with a floating IP to it and of everything else that
  leaves through qg- to the qg- address.

`sync` is idempotent: it adds, changes and removes devices, addresses, routes and rules until
the namespace is what the cloud says, so it serves the first start and every API change alike.
"""
from __future__ import annotations

import subprocess
from typing import NamedTuple

from cloud.model import Cloud, Port, Router
from cloud.naming import BR_EX, BR_INT
from mininet_topos import netns
from mininet_topos.netns import in_netns
from mininet_topos.state import State

CHAIN_PREFIX = "neutron-l3-agent-"


def interface_cidr(cloud: Cloud, port: Port) -> str:
    """The qr- address: the port's IPv4 with its subnet's prefix length."""
    ip = next(ip for ip in port.ips if ip.version == 4)
    return f"{ip}/{cloud.network(port.network_id).subnet_of(ip).cidr.prefixlen}"


class Device(NamedTuple):
    """A device of the namespace and its veth peer, a port of `bridge` on the node."""
    bridge: str
    mac: str
    mtu: int
    addresses: tuple[str, ...]
    iface_id: str   # the Neutron port id (external_ids:iface-id)


def bridge_of(device: str) -> str:
    return BR_EX if device.startswith("qg-") else BR_INT


def desired_devices(cloud: Cloud, router: Router) -> dict[str, Device]:
    """Every device the router's namespace should hold, by name."""
    out = {}
    for port in cloud.interfaces_of(router.id):
        out[port.device] = Device(BR_INT, port.mac, cloud.network(port.network_id).mtu,
                                  (interface_cidr(cloud, port),), port.id)
    gw = router.gateway
    if gw is not None:
        ext = cloud.external
        fips = tuple(f"{fip.ip}/32" for fip, _ in cloud.floating_ips_of(router.id))
        out[gw.device] = Device(BR_EX, gw.mac, ext.mtu,
                                (f"{gw.ip}/{ext.cidr.prefixlen}",) + fips, gw.port_id)
    return out


def nat_rules(cloud: Cloud, router: Router) -> str:
    """The router's whole nat table, in iptables-restore's format."""
    chains = ["PREROUTING", "OUTPUT", "POSTROUTING", "float-snat", "snat"]
    lines = ["*nat"] + [f":{c} ACCEPT [0:0]" for c in ("PREROUTING", "INPUT", "OUTPUT",
                                                        "POSTROUTING")]
    lines += [f":{CHAIN_PREFIX}{c} - [0:0]" for c in chains]
    lines += [f"-A {c} -j {CHAIN_PREFIX}{c}" for c in ("PREROUTING", "OUTPUT", "POSTROUTING")]
    lines.append(f"-A POSTROUTING -j {CHAIN_PREFIX}snat")
    gw = router.gateway
    if gw is not None:
        qg = gw.device
        for fip, port in cloud.floating_ips_of(router.id):
            fixed = next(ip for ip in port.ips if ip.version == 4)
            for chain in ("PREROUTING", "OUTPUT"):
                lines.append(f"-A {CHAIN_PREFIX}{chain} -d {fip.ip}/32 -j DNAT "
                             f"--to-destination {fixed}")
            lines.append(f"-A {CHAIN_PREFIX}float-snat -s {fixed}/32 -j SNAT "
                         f"--to-source {fip.ip}")
        # between the router's own subnets: routed, never translated
        lines.append(f"-A {CHAIN_PREFIX}POSTROUTING ! -i {qg} ! -o {qg} -m conntrack ! "
                     "--ctstate DNAT -j ACCEPT")
        lines.append(f"-A {CHAIN_PREFIX}snat -j {CHAIN_PREFIX}float-snat")
        if gw.enable_snat:   # (without: fixed IPs leave untranslated, as Neutron's)
            lines.append(f"-A {CHAIN_PREFIX}snat -o {qg} -j SNAT --to-source {gw.ip}")
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def _addresses(ns: str, device: str) -> set[str]:
    out = in_netns(ns, "ip", "-o", "-4", "addr", "show", "dev", device).stdout
    return {line.split()[3] for line in out.splitlines()}


def _mac(ns: str, device: str) -> str:
    out = in_netns(ns, "ip", "-o", "link", "show", "dev", device).stdout
    return out.split("link/ether")[1].split()[0]


def sync(host, cloud: Cloud, router: Router, state: State) -> list[tuple[str, str]]:
    """Make `router`'s namespace on `host` (its network node) what the cloud says; returns
    the (device, address) pairs it added, for `announce` once the ports are programmed."""
    added: list[tuple[str, str]] = []
    ns = router.namespace
    if not netns.exists(ns):
        netns.add(ns, state, ipv6=False)
        in_netns(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    want = desired_devices(cloud, router)
    have = set(netns.devices(ns))
    for device in sorted(have):
        spec = want.get(device)
        if spec is None or _mac(ns, device) != spec.mac:
            netns.unplug(host, ns, device, device, bridge_of(device))
            have.discard(device)
    for device, spec in sorted(want.items()):
        if device not in have:
            netns.plug(host, ns, device, device, spec.bridge, spec.mac, spec.mtu,
                       list(spec.addresses), {"iface-id": spec.iface_id,
                                              "attached-mac": spec.mac,
                                              "iface-status": "active"})
            added += [(device, cidr) for cidr in spec.addresses]
            continue
        current = _addresses(ns, device)
        for cidr in sorted(set(spec.addresses) - current):
            in_netns(ns, "ip", "addr", "add", cidr, "dev", device)
            added.append((device, cidr))
        for cidr in sorted(current - set(spec.addresses)):
            in_netns(ns, "ip", "addr", "del", cidr, "dev", device)
    if router.gateway is not None:
        in_netns(ns, "ip", "route", "replace", "default", "via",
                 str(cloud.external.gateway_ip), "dev", router.gateway.device)
    else:
        in_netns(ns, "ip", "route", "del", "default", check=False)
    run_restore(ns, nat_rules(cloud, router))
    return added


def announce(ns: str, device: str, cidr: str) -> None:
    """A gratuitous ARP for an address the router just took (as the L3 agent sends): hosts
    that knew the address at another MAC (an interface moved between routers) update their
    ARP entry instead of sending into the void until it expires."""
    ip = cidr.split("/")[0]
    in_netns(ns, "arping", "-U", "-c", "1", "-i", device, "-S", ip, ip, check=False)


def run_restore(ns: str, rules: str) -> None:
    proc = subprocess.run(["ip", "netns", "exec", ns, "iptables-restore"], input=rules,
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"iptables-restore in {ns} failed: {proc.stderr.strip()}\n{rules}")


def remove(host, ns: str) -> None:
    """A router gone from the cloud: its ports out of OVS, then the namespace."""
    if netns.exists(ns):
        for device in netns.devices(ns):
            netns.unplug(host, ns, device, device, bridge_of(device))
        netns.delete(ns)
