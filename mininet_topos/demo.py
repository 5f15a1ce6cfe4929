"""`make demo`: start the controller and the seed cloud, run seed 002's walks 1 to 4 (same
host, cross host, out through the router with SNAT and a floating IP, DHCP), routing between
subnets on one router only, and the isolation check; seed 003's walks on the VLAN and flat
networks (same host, across the physical switch with the provider tag, isolation, a tagged
frame, DHCP, routed to VXLAN and out with SNAT); look at the API with the `openstack`
client (the run's clouds.yaml and token); print what happened, clean up; exit 0 only if all
passed.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys

from cloud import schema
from cloud.naming import BR_EX, BR_INT, BR_TUN
from flows.desired import bridges_of
from controller import graph
from mininet_topos import counters, netns
from mininet_topos.api_walk import openstack_walk
from mininet_topos.sg_walk import security_group_walk
from mininet_topos.deployment import Deployment
from mininet_topos.walks import seed_walks
from mininet_topos.walks_phys import provider_walks


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def _flow_lines(dump: str) -> list[str]:
    """The flows of a dump (with --no-stats ovs-ofctl prints no reply header)."""
    return [ln.strip() for ln in dump.splitlines() if ln.strip() and
            not ln.startswith("OFPST_FLOW")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud", default="clouds/seed.yaml")
    parser.add_argument("--graph", default="demo-cloud.svg",
                        help="where to draw the cloud (.svg, .png or .dot)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("must run as root")
    try:
        cloud = schema.load(args.cloud)
    except schema.CloudError as exc:
        print(exc, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    print(f"== neutron-overlay demo: cloud {cloud.name} from {args.cloud}")
    print(f"   nodes {', '.join(f'{n.name} ({n.role})' for n in cloud.nodes)}")
    nets = (f"{n.name} {n.type.upper()}"
            f"{'' if n.segmentation_id is None else f' {n.segmentation_id}'}"
            f"{f' on {n.physical_network}' if n.physical_network else ''} {n.cidrs[0]}"
            for n in cloud.networks)
    print(f"   networks {', '.join(nets)}")
    deployment = Deployment(cloud, args.cloud)
    checks = []
    try:
        deployment.start()
        t = deployment.timings
        print(f"== osken-manager apps/overlay.py and the cloud up in {t['cloud']:.1f}s; every "
              f"bridge exact {t['converge']:.1f}s later: {deployment.flow_count()} flows on "
              f"{sum(len(bridges_of(n)) for n in cloud.nodes)} bridges, "
              f"{deployment.memory_mib():.0f} MiB in all")
        compute1 = deployment.ovs["compute1"]
        print("== compute1: ovs-ofctl -O OpenFlow13 dump-flows br-tun (as seed 001 shows it)")
        for line in _flow_lines(compute1.ofctl("dump-flows", BR_TUN, "--no-stats")):
            print("   " + line)
        network = next((n.name for n in cloud.nodes if n.role == "network"), None)
        if network and cloud.routers:
            print(f"== {network}: its namespaces (seed 000) and br-ex")
            for ns in sorted(r.namespace for r in cloud.routers):
                devices = " ".join(sorted(netns.devices(ns)))
                print(f"   {ns}: {devices}")
            for line in _flow_lines(deployment.ovs[network].ofctl("dump-flows", BR_EX,
                                                                  "--no-stats")):
                print("   br-ex: " + line)
        print("== seed 002's walks")
        for check in seed_walks(deployment):
            checks.append(check)
            print(f"   {check}")
        if any(n.bridge_mappings for n in cloud.nodes):
            print("== compute1: ovs-ofctl dump-flows br-eth1, and br-int's table 0 from "
                  "int-br-eth1 (as seed 003 describes them)")
            for line in _flow_lines(compute1.ofctl("dump-flows", "br-eth1", "--no-stats")):
                print("   br-eth1: " + line)
            for line in _flow_lines(compute1.ofctl("dump-flows", BR_INT, "table=0,in_port="
                                                   "int-br-eth1", "--no-stats")):
                print("   br-int: " + line)
            print("== seed 003's walks (VLAN and flat provider networks on physnet1)")
            for check in provider_walks(deployment):
                checks.append(check)
                print(f"   {check}")
        print(f"== the API, as the openstack client sees it (token: "
              f"{deployment.controller.auth_token})")
        deployment.start_agent()
        check, lines = openstack_walk(deployment)
        for line in lines:
            print(f"   {line}")
        checks.append(check)
        print(f"   {check}")
        print("== security groups (Neutron's openvswitch firewall in br-int, with conntrack)")
        sg_checks, lines = security_group_walk(deployment)
        for check in sg_checks:
            checks.append(check)
            print(f"   {check}")
        for line in lines:
            print(f"   {line}")
        counts = counters.counters(deployment.cloud, deployment.ovs)
        graph.draw(graph.dot(deployment.cloud, counts), args.graph)
        print(f"== the cloud as a picture, with the packets the walks sent: {args.graph} "
              "(overlay graph --counters)")
        failures = deployment.controller.failures()
        print(f"== controller log: {len(failures)} errors"
              + "".join(f"\n   {line}" for line in failures[:10]))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a demo that cannot run says why, and still cleans up
        print(f"== demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        deployment.stop()
        print("== torn down: processes, namespaces, links and run directory removed")
    passed = all(c.passed for c in checks) and not failures
    print(f"== {'ALL PASSED' if passed else 'FAILED'} ({sum(c.passed for c in checks)}/"
          f"{len(checks)} checks)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
