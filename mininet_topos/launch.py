"""Start an emulated cloud from a cloud file and open the Mininet CLI (or run a script).

    python -m mininet_topos.launch clouds/seed.yaml            seed cloud + controller + CLI
    python -m mininet_topos.launch --computes 16                the seed shape with 16 computes
    python -m mininet_topos.launch clouds/seed.yaml --no-controller
            (then run `osken-manager --config-file etc/overlay.conf apps/overlay.py` yourself)
    python -m mininet_topos.launch clouds/seed.yaml --script walks.cli

Everything it started is removed on exit, on Ctrl-C, on SIGTERM and on failure; a crash that
kills Python itself is cleaned up by `python -m mininet_topos.cleanup --all`.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile

from cloud import generate, schema
from mininet_topos import openstack_env
from mininet_topos.deployment import Deployment
from mininet_topos.progress import Progress


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def load(args) -> tuple:
    """(Cloud, path of the file the controller reads); CloudError on a bad file."""
    if args.computes is not None:
        raw = generate.generate(args.computes)
        fd, path = tempfile.mkstemp(prefix=f"ovl-{raw['cloud']}-", suffix=".yaml")
        with os.fdopen(fd, "w") as fh:
            fh.write(generate.dump(raw))
        return schema.load(path), path
    return schema.load(args.cloud), args.cloud


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cloud", nargs="?", help="cloud file (YAML)")
    parser.add_argument("--computes", type=int, help="generate the seed shape with N computes")
    parser.add_argument("--no-controller", action="store_true",
                        help="do not start osken-manager (run your own)")
    parser.add_argument("--script", help="run these Mininet CLI commands instead of the prompt")
    parser.add_argument("--no-cli", action="store_true", help="start, converge, report, stop")
    parser.add_argument("--debug", action="store_true", help="controller logs every flow-mod")
    args = parser.parse_args(argv)
    if (args.cloud is None) == (args.computes is None):
        parser.error("give a cloud file or --computes N (one of them)")
    if os.geteuid() != 0:
        parser.error("must run as root (Mininet and per-node Open vSwitch)")
    try:
        cloud, path = load(args)
    except (schema.CloudError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    deployment = Deployment(cloud, path, with_controller=not args.no_controller,
                            debug=args.debug)
    try:
        deployment.start(progress=Progress())
        t = deployment.timings
        vms = [p for p in cloud.ports if p.is_vm]
        services = len(cloud.ports) - len(vms)
        print(f"*** cloud {cloud.name}: {len(cloud.nodes)} nodes, {len(vms)} VMs"
              + (f", {services} DHCP and router ports" if services else "")
              + (f", {len(cloud.routers)} routers" if cloud.routers else "") + " up in "
              f"{t['cloud']:.1f}s" + (f", every bridge exact {t['converge']:.1f}s later "
                                      f"({deployment.flow_count()} flows)"
                                      if "converge" in t else ", no controller started"))
        if deployment.controller:
            c = deployment.controller
            print(f"*** controller log: {c.log}")
            print(f"*** API: {c.api_url} (token authentication; token {c.auth_token})")
            print(f"***   openstack client: {openstack_env.usage(deployment.clouds_yaml())}")
            print(f"***   or: openstack --os-auth-type admin_token --os-endpoint "
                  f"{c.api_url.rsplit('/v2.0', 1)[0]} --os-token {c.auth_token} network list")
            print(f"***   overlay client: export OVERLAY_URL={c.api_url} "
                  f"OVERLAY_TOKEN={c.auth_token}")
        print(f"*** memory of the whole deployment: {deployment.memory_mib():.0f} MiB")
        print("*** ready")
        if args.no_cli:
            return 0
        if deployment.controller:
            deployment.start_agent()
        if args.script:
            deployment.ec.cli(script=args.script, deployment=deployment)
        else:
            print("*** nodes: " + " ".join(n.name for n in cloud.nodes)
                  + "\n*** VMs:   " + " ".join(p.name for p in cloud.ports if p.is_vm)
                  + "\n*** try:   compute1 ovs-ofctl -O OpenFlow13 dump-flows br-tun"
                  + "\n           vm-a1 ping -c3 10.0.0.6"
                  + "\n           (openstack port create --network TenantA-Net --host compute2 "
                  "vm-x)"
                  + "\n           plug vm-x"
                  + "\n           extgw ping -c3 10.1.101.241   (vm-a1's floating IP)"
                  + "\n           (openstack router remove subnet TenantC-R1 TenantC-Subnet;"
                  "\n            openstack router add subnet TenantA-R1 TenantC-Subnet: the "
                  "qrouter follows)")
            deployment.ec.cli(deployment=deployment)
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        print("*** tearing down")
        deployment.stop()
        if args.computes is not None:
            os.unlink(path)


if __name__ == "__main__":
    sys.exit(main())
