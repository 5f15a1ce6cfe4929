"""A private OVS in a throwaway network namespace, for tier-2 checks against ofproto/trace."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile

from mininet_topos.ovs import OvsInstance


@contextlib.contextmanager
def private_ovs(tag: str):
    """Yields a started OvsInstance inside a new netns; removes both whatever happens."""
    ns = f"ovl-{tag}-{os.getpid()}"
    rundir = tempfile.mkdtemp(prefix=f"ovl-{tag}-")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    ovs = OvsInstance(rundir=rundir, enter=["ip", "netns", "exec", ns])
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        ovs.start()
        yield ovs
    finally:
        ovs.stop()
        subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(rundir, ignore_errors=True)
