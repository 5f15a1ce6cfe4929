"""Running `osken-manager apps/overlay.py` for an emulated cloud, with its own config and log."""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys

from cloud.model import Cloud
from mininet_topos.ovs import pid_alive, stop_pid
from mininet_topos.state import State

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = "apps/overlay.py"
# What makes a controller log a failure: errors, tracebacks, OpenFlow errors.
FIRST_SYNC = re.compile(r"(\S+/br-\w+): first sync on this connection: \d+ flows of ours were "
                        r"installed, (\d+) flow-mods sent")
FAILURE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback|OFPErrorMsg")


API_PORT = 9696


def config_text(cloud: Cloud, cloud_file: str, state_file: str | None = None,
                auth_token: str = "") -> str:
    text = (f"[DEFAULT]\nofp_listen_host = {cloud.fabric.controller_ip}\n"
            f"ofp_tcp_listen_port = {cloud.fabric.controller_port}\n\n"
            f"[overlay]\ncloud_file = {os.path.abspath(cloud_file)}\napi_port = {API_PORT}\n")
    if state_file:
        text += f"state_file = {state_file}\n"
    if auth_token:
        text += f"auth_strategy = token\nauth_token = {auth_token}\n"
    return text


class ControllerProcess:
    def __init__(self, cloud: Cloud, cloud_file: str, rundir: str, state: State | None = None,
                 debug: bool = False, auth_token: str | None = None):
        """auth_token: the API's secret (auth_strategy = token); None: a new random one,
        kept in the run directory so a restarted controller takes the same."""
        self.cloud, self.cloud_file, self.rundir = cloud, cloud_file, rundir
        self.state = state
        self.debug = debug
        self.auth_token = auth_token if auth_token is not None else self._token()
        self.conf = os.path.join(rundir, "overlay.conf")
        self.log = os.path.join(rundir, "controller.log")
        self.state_file = os.path.join(rundir, "state.sqlite")  # survives restarts of the run
        self.proc: subprocess.Popen | None = None

    def _token(self) -> str:
        path = os.path.join(self.rundir, "api-token")
        if os.path.exists(path):
            with open(path) as fh:
                return fh.read().strip()
        os.makedirs(self.rundir, exist_ok=True)
        token = secrets.token_hex(16)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as fh:
            fh.write(token + "\n")
        return token

    def command(self) -> list[str]:
        manager = os.path.join(os.path.dirname(sys.executable), "osken-manager")
        if not os.path.exists(manager):   # (a Python without it: mn --custom's, Debian's)
            manager = os.path.join(ROOT, ".venv", "bin", "osken-manager")
        return [manager, "--config-file", self.conf, "--log-file", self.log, "--nouse-stderr",
                "--default-log-level", "10" if self.debug else "20", APP]

    def start(self) -> ControllerProcess:
        os.makedirs(self.rundir, exist_ok=True)
        with open(self.conf, "w") as fh:
            fh.write(config_text(self.cloud, self.cloud_file, self.state_file,
                                 self.auth_token))
        with open(self.log + ".stderr", "ab") as err:
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, start_new_session=True)
        if self.state is not None:
            self.state.add_pid(self.proc.pid, "osken-manager")
        return self

    @property
    def api_url(self) -> str:
        return f"http://{self.cloud.fabric.controller_ip}:{API_PORT}/v2.0"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and pid_alive(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_pid(self.proc.pid)
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash: no goodbye to the switches."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def log_size(self) -> int:
        """Bytes in the main log so far: an offset for reading what a later run appends."""
        return os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def log_since(self, offset: int) -> str:
        if not os.path.exists(self.log):
            return ""
        with open(self.log, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace")

    def first_syncs(self, since: int = 0) -> dict[str, int]:
        """Bridge label -> flow-mods its connection's first sync sent, from the main log after
        byte offset `since` (the controller logs one such line per connection)."""
        return {m.group(1): int(m.group(2)) for m in FIRST_SYNC.finditer(self.log_since(since))}

    def log_text(self) -> str:
        text = ""
        for path in (self.log, self.log + ".stderr"):
            if os.path.exists(path):
                with open(path, errors="replace") as fh:
                    text += fh.read()
        return text

    def failures(self) -> list[str]:
        """Log lines that mean something went wrong (an integration test fails on any)."""
        return [line for line in self.log_text().splitlines() if FAILURE.search(line)]
