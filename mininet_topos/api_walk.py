"""The demo's look at the API as a user of the `openstack` client sees it: with the run's
clouds.yaml (token authentication), the networks, a filtered port list and the agents."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from mininet_topos import openstack_env
from mininet_topos.deployment import Deployment
from mininet_topos.walks import Check

OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")


def _openstack(env: dict, *argv: str) -> list[dict]:
    proc = subprocess.run([OPENSTACK, *argv, "-f", "json"], env=env, capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"openstack {' '.join(argv)}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def openstack_walk(d: Deployment) -> tuple[Check, list[str]]:
    """(the check, the lines to show): `openstack network list`, `port list --network
    TenantA-Net`, `network agent list` against the live controller."""
    path = d.clouds_yaml()
    env = dict(os.environ, **openstack_env.env(path))
    nets = _openstack(env, "network", "list")
    first = d.cloud.networks[0]
    ports = _openstack(env, "port", "list", "--network", first.id)
    agents = _openstack(env, "network", "agent", "list")
    lines = [openstack_env.usage(path),
             "openstack network list: " + ", ".join(n["Name"] for n in nets),
             f"openstack port list --network {first.name}: "
             + ", ".join(p["Name"] or p["ID"][:8] for p in ports),
             "openstack network agent list: " + ", ".join(
                 f"{a['Agent Type']}@{a['Host']} {'alive' if a['Alive'] else 'DEAD'}"
                 for a in agents)]
    wanted = {n.name for n in d.cloud.networks} | ({d.cloud.external.name}
                                                   if d.cloud.external else set())
    mine = {p.id for p in d.cloud.ports_of(first.id)}
    passed = ({n["Name"] for n in nets} == wanted and {p["ID"] for p in ports} == mine
              and len(agents) >= len(d.cloud.nodes) and all(a["Alive"] for a in agents))
    return Check("the openstack client (token auth): networks, a filtered port list, agents",
                 passed, f"{len(nets)} networks, {len(ports)} ports of {first.name}, "
                 f"{sum(a['Alive'] for a in agents)}/{len(agents)} agents alive"), lines
