"""Setup steps of an emulated cloud done several at a time: configuring nodes and plugging
VMs is mostly waiting on processes (ovsdb-server and ovs-vswitchd starting, ip and ovs-vsctl),
so a few at once use the two cores; Mininet's own steps (a host's shell) stay one at a time."""
from __future__ import annotations

import concurrent.futures

AT_ONCE = 4   # nodes configured, VMs plugged at once: their commands mostly wait on processes


def at_once(work, items: list):
    """work(item) for every item, AT_ONCE at a time; yields as each is done; the first
    failure is raised (after the others running have ended)."""
    with concurrent.futures.ThreadPoolExecutor(AT_ONCE) as pool:
        for future in concurrent.futures.as_completed([pool.submit(work, i) for i in items]):
            yield future.result()
