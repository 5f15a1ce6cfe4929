"""Emulated clouds for the benchmarks: written to a cloud file, built, always torn down.

`partial(doc, nodes)` builds only some nodes of a cloud (benchmark 1 programs one node of a
cloud whose other nodes exist only as remote ports); `Deployment` serves the rest.
"""
from __future__ import annotations

import contextlib
import os
import re
import time

import yaml

from cloud import schema
from mininet_topos.cloud import EmulatedCloud
from mininet_topos.controller_proc import ControllerProcess
from mininet_topos.state import BASE_DIR

COMMIT = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) INFO overlay\.sender: (\S+): bundle \d+ "
                    r"committed: (\d+) flow-mods \(\+\d+ ~\d+ -\d+\) in ([\d.]+) ms", re.M)
COMPUTED = re.compile(r"(\S+): first sync on this connection: .* \(computed, diffed, sent and "
                      r"committed in ([\d.]+) ms\)")


def write(doc: dict, name: str) -> str:
    folder = os.path.join(BASE_DIR, "bench-files")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name + ".yaml")
    with open(path, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    return path


@contextlib.contextmanager
def partial(doc: dict, nodes: list[str]):
    """An EmulatedCloud with only `nodes` built (no VMs), and a controller factory."""
    path = write(doc, doc["cloud"])
    cloud = schema.parse(doc, path)
    ec = EmulatedCloud(cloud)
    try:
        ec.prepare()
        for node in nodes:
            ec.add_node(node)
        yield ec, (lambda: ControllerProcess(cloud, path, ec.rundir, ec.state))
    finally:
        ec.stop()


def commits(text: str) -> list[tuple[float, str, int, float]]:
    """(wall time of day in s, bridge label, flow-mods, ms) of every bundle commit logged."""
    return [(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000, label, int(n), float(t))
            for h, m, s, ms, label, n, t in COMMIT.findall(text)]


FOLLOWED = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) INFO overlay: (\S+): "
                      r"followed \d+ change\(s\): (.*)$", re.M)


def followed(text: str) -> list[tuple[float, str, list[str]]]:
    """(time of day, node, port ids) of every run of changes a node followed incrementally
    (logged once its bundles committed)."""
    return [(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000, node, ids.split())
            for h, m, s, ms, node, ids in FOLLOWED.findall(text)]


def change_time(text: str, what: str) -> float | None:
    """Time of day of the controller's "change N: WHAT" line, None if not logged (yet)."""
    m = re.search(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) INFO overlay\.keeper: change \d+: "
                  + re.escape(what) + r"$", text, re.M)
    if m is None:
        return None
    h, mi, sec, ms = (int(g) for g in m.groups())
    return h * 3600 + mi * 60 + sec + ms / 1000


def time_of_day(epoch: float) -> float:
    t = time.localtime(epoch)
    return t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec + (epoch % 1)


def since(epoch: float, logged: float) -> float:
    """Seconds from `epoch` to a time of day the log shows (which may be past midnight)."""
    elapsed = logged - time_of_day(epoch)
    return elapsed + 86400 if elapsed < -43200 else elapsed


def check_log(proc) -> None:
    """A benchmark's figures count only if the controller logged no error."""
    failures = proc.failures()
    if failures:
        raise RuntimeError("controller log: " + "; ".join(failures[:3]))
