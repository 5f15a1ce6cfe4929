"""Traffic and evidence inside the emulated cloud: ping, tcpdump captures, flow counters.

All of it runs inside namespaces the cloud created (via `mnexec -a <pid>`), never on the
machine's own interfaces.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from mininet_topos.ovs import OvsInstance, run, stop_pid, wait_for
from flows import ofctl

PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received")
STATS = re.compile(r"(duration|n_packets|n_bytes|idle_age|hard_age|idle_timeout|hard_timeout)"
                   r"=[^,\s]+,?\s*")


SETTLE_SECONDS = 0.3
SETTLE_DEADLINE = 3.0


def settle(read, quiet: float, deadline: float, interval: float = 0.05):
    """Poll read() until its value has not changed for `quiet` seconds (or the deadline)."""
    end = time.monotonic() + deadline
    last, since = read(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(interval)
        value = read()
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


@dataclass
class PingResult:
    sent: int
    received: int
    output: str

    @property
    def ok(self) -> bool:
        return self.sent > 0 and self.received == self.sent

    def __str__(self) -> str:
        return f"{self.received}/{self.sent} replies"


def ping(pid: int, dst: str, count: int = 5, interval: float = 0.2,
         wait: float = 1.0, family: int = 4) -> PingResult:
    argv = ["mnexec", "-a", str(pid), "ping", "-n", f"-{family}", "-c", str(count),
            "-i", str(interval), "-W", str(wait), dst]
    proc = run(argv, check=False, timeout=count * (interval + wait) + 10)
    m = PING_SUMMARY.search(proc.stdout)
    if not m:
        raise RuntimeError(f"ping gave no summary: {proc.stdout}{proc.stderr}")
    return PingResult(int(m.group(1)), int(m.group(2)), proc.stdout)


class Capture:
    """tcpdump on an interface of a namespace, one text line per packet (-n -l -e)."""

    def __init__(self, pid: int, iface: str, bpf: str = "", on_start=None):
        self.pid, self.iface, self.bpf = pid, iface, bpf
        fd, self.out_path = tempfile.mkstemp(prefix="ovl-cap-", suffix=".txt")
        os.close(fd)
        self.err_path = self.out_path + ".err"
        self.proc: subprocess.Popen | None = None
        self.on_start = on_start  # called with the tcpdump pid (cleanup registry)

    def __enter__(self) -> Capture:
        # --immediate-mode: libpcap otherwise batches packets for up to a second, and a
        # capture stopped within that second loses them
        argv = ["mnexec", "-a", str(self.pid), "tcpdump", "-n", "-l", "-e", "--immediate-mode",
                "-Z", "root", "-i", self.iface] + (self.bpf.split() if self.bpf else [])
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL)
        if self.on_start:
            self.on_start(self.proc.pid)
        wait_for(lambda: "listening on" in self._err() or self.proc.poll() is not None,
                 10, f"tcpdump on {self.iface}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"tcpdump on {self.iface} failed: {self._err()}")
        return self

    def _err(self) -> str:
        with open(self.err_path, errors="replace") as fh:
            return fh.read()

    def _size(self) -> int:
        return os.path.getsize(self.out_path)

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            settle(self._size, SETTLE_SECONDS, SETTLE_DEADLINE)
            self.proc.send_signal(signal.SIGINT)  # flushes what it captured
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                stop_pid(self.proc.pid)
        with open(self.out_path, errors="replace") as fh:
            self.packets = _packets(fh.read())
        for path in (self.out_path, self.err_path):
            os.unlink(path)

    def count(self, *patterns: str) -> int:
        """Packets whose text matches every pattern (none: all packets)."""
        return sum(1 for p in self.packets if all(re.search(pat, p) for pat in patterns))


TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\.")


def _packets(text: str) -> list[str]:
    """One string per packet: tcpdump prints an encapsulated frame (VXLAN) on a continuation
    line, which belongs to the packet above it."""
    packets: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if TIMESTAMP.match(line) or not packets:
            packets.append(line)
        else:
            packets[-1] += " | " + line.strip()
    return packets


def flow_counters(ovs: OvsInstance, bridge: str) -> dict[tuple, int]:
    """n_packets of every flow of a bridge, by flow key."""
    out = {}
    for line in ovs.ofctl("dump-flows", bridge, "--no-names").splitlines():
        m = re.search(r"n_packets=(\d+)", line)
        if not m or "actions=" not in line:
            continue
        flow = ofctl.parse_dump_line(STATS.sub("", line))
        out[flow.key] = out.get(flow.key, 0) + int(m.group(1))
    return out


def send_frames(pid: int, *args: str) -> None:
    """Run mininet_topos/frames.py inside a namespace (see its docstring for args)."""
    run(["mnexec", "-a", str(pid), sys.executable, "-m", "mininet_topos.frames", *args])
