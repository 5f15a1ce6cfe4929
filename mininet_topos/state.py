"""What an emulated cloud created, recorded as it is created, so it can always be removed.

Every process (by pid, with the program name it must still have), root-namespace link and
bridge, and the run directory go into `<rundir>/state.json` the moment they exist. Teardown
and `python -m mininet_topos.cleanup` remove exactly those: nothing is killed by name, and no
bridge of the system's Open vSwitch is touched.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading

from mininet_topos.ovs import pid_alive, stop_pid

BASE_DIR = "/run/neutron-overlay"


def proc_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = fh.read().split(b"\0")
        return " ".join(a.decode(errors="replace") for a in argv if a)
    except OSError:
        return ""


_SAVING = threading.RLock()


class State:
    def __init__(self, rundir: str):
        self.rundir = rundir
        self.path = os.path.join(rundir, "state.json")
        self.data = {"pids": [], "links": [], "bridges": []}
        if os.path.exists(self.path):
            with open(self.path) as fh:
                self.data = json.load(fh)

    def _save(self) -> None:
        with _SAVING:   # (nodes are configured by several threads: mininet_topos/cloud.py)
            os.makedirs(self.rundir, exist_ok=True)
            tmp = self.path + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(self.data, fh, indent=1)
            os.replace(tmp, self.path)

    def add_pid(self, pid: int, program: str) -> None:
        """program: a word the process's command line contains (checked before killing)."""
        with _SAVING:
            self.data["pids"].append({"pid": pid, "program": program})
            self._save()

    def add_link(self, name: str) -> None:
        self.data["links"].append(name)
        self._save()

    def add_bridge(self, name: str) -> None:
        self.data["bridges"].append(name)
        self._save()

    def add_netns(self, name: str) -> None:
        """A named network namespace (`ip netns`), e.g. the network node's qdhcp-*."""
        self.data.setdefault("netns", []).append(name)
        self._save()

    def is_empty(self) -> bool:
        return not any(self.data.values())

    def cleanup(self) -> list[str]:
        """Remove everything recorded, newest first; returns what was done (for messages)."""
        done = []
        for entry in reversed(self.data["pids"]):
            pid, program = entry["pid"], entry["program"]
            if pid_alive(pid) and program in proc_name(pid):
                stop_pid(pid)
                done.append(f"stopped {program} (pid {pid})")
        for name in reversed(self.data["links"] + self.data["bridges"]):
            shown = subprocess.run(["ip", "link", "show", "dev", name], capture_output=True)
            if shown.returncode == 0:
                subprocess.run(["ip", "link", "del", "dev", name], capture_output=True)
                done.append(f"deleted link {name}")
        for name in reversed(self.data.get("netns", [])):
            if os.path.exists(os.path.join("/run/netns", name)):
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
                done.append(f"deleted namespace {name}")
        self.data = {"pids": [], "links": [], "bridges": []}
        shutil.rmtree(self.rundir, ignore_errors=True)
        return done


def leftover_rundirs() -> list[str]:
    if not os.path.isdir(BASE_DIR):
        return []
    return sorted(os.path.join(BASE_DIR, d) for d in os.listdir(BASE_DIR)
                  if os.path.exists(os.path.join(BASE_DIR, d, "state.json")))
