"""After a deployment: nothing it started may remain."""
from __future__ import annotations

import os
import subprocess

from mininet_topos.ovs import pid_alive


def leftovers(rundir: str, pids: list[int]) -> list[str]:
    found = [f"pid {p} still running" for p in pids if pid_alive(p)]
    if os.path.exists(rundir):
        found.append(f"{rundir} still exists")
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    for line in links.splitlines():   # the segments and physical networks' switches: ovl-*
        name = line.split()[0].split("@")[0] if line.strip() else ""
        if name.startswith("ovl-"):   # (ovl-mgmt, ovl-data, ovl-ext, ovl-physnet1, ...)
            found.append(f"link {name} still exists")
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [f"namespace {ln.split()[0]} left" for ln in netns.splitlines()
              if ln.startswith(("ovl-", "qdhcp-", "qrouter-"))]
    zombies = subprocess.run(["ps", "-eo", "stat,comm"], capture_output=True, text=True).stdout
    found += [f"zombie {ln.split()[1]} left" for ln in zombies.splitlines()[1:]
              if ln.startswith("Z") and ln.split()[1] in ("dnsmasq", "udhcpc", "tcpdump")]
    return found


def recorded_pids(deployment) -> list[int]:
    state = deployment.ec.state
    return [e["pid"] for e in state.data["pids"]] if state else []
