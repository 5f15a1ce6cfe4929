"""A private Open vSwitch: its own ovsdb-server and ovs-vswitchd, database and run directory.

The daemons are started inside a network namespace (a Mininet node's, or a test's) through
`enter`, a command prefix such as `mnexec -da <pid>` or `ip netns exec <ns>`; every control
command afterwards talks to them through explicit socket paths under `rundir`, so it works from
the root namespace too. Daemons are tracked by the pids in their pidfiles and stopped by pid.
"""
from __future__ import annotations

import ctypes
import os
import warnings
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field

SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
DAEMONS = ("ovs-vswitchd", "ovsdb-server")  # stop order
# ovs-vswitchd's upcall handler and revalidator threads: by default a number that grows with
# the host's cores (one each on 2 cores); one each, so that a node costs the same anywhere
# (100 nodes on a 64-core host would run thousands of threads otherwise)
THREADS = {"n-handler-threads": 1, "n-revalidator-threads": 1}


class OvsError(Exception):
    pass


def run(argv: list[str], env: dict | None = None, check: bool = True,
        timeout: float = 30) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise OvsError(f"{shlex.join(argv)} exited {proc.returncode}: "
                       f"{proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll predicate() until it returns something truthy; raise naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """True while the process runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Daemons we start detach (double fork); as a subreaper this process becomes their
    parent instead of PID 1, so it can reap them and leave no zombie behind."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap(pid: int, timeout: float = 2.0) -> None:
    """Collect an exited child (it may take a moment to become a zombie); no-op otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            return  # not our child: its parent reaps it
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM, wait, then SIGKILL: for processes this project started, by pid only."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                reap(pid)
                return
            time.sleep(0.02)


@dataclass
class OvsInstance:
    rundir: str                        # database, sockets, pidfiles and logs live here
    enter: list[str] = field(default_factory=list)  # prefix that runs a command in the netns

    @property
    def db_sock(self) -> str:
        return os.path.join(self.rundir, "db.sock")

    @property
    def env(self) -> dict:
        return dict(os.environ, OVS_RUNDIR=self.rundir, OVS_DBDIR=self.rundir,
                    OVS_LOGDIR=self.rundir, OVS_SYSCONFDIR=self.rundir)

    def pidfile(self, daemon: str) -> str:
        return os.path.join(self.rundir, daemon + ".pid")

    def pid(self, daemon: str) -> int | None:
        try:
            with open(self.pidfile(daemon)) as fh:
                return int(fh.read().strip())
        except (OSError, ValueError):
            return None

    def pids(self) -> list[int]:
        return [p for p in (self.pid(d) for d in DAEMONS) if p]

    # ---------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        become_subreaper()
        os.makedirs(self.rundir, exist_ok=True)
        db = os.path.join(self.rundir, "conf.db")
        if not os.path.exists(db):
            run(["ovsdb-tool", "create", db, SCHEMA])
        self.start_ovsdb()
        self.vsctl("--no-wait", "init", "--", "set", "Open_vSwitch", ".",
                   *(f"other_config:{key}={value}" for key, value in THREADS.items()))
        self.start_vswitchd()

    def start_ovsdb(self) -> None:
        db = os.path.join(self.rundir, "conf.db")
        run(self.enter + [
            "ovsdb-server", db, "--remote=punix:" + self.db_sock,
            "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
            "--pidfile=" + self.pidfile("ovsdb-server"), "--detach", "-vconsole:off",
            "--log-file=" + os.path.join(self.rundir, "ovsdb-server.log")], env=self.env)

    def start_vswitchd(self) -> None:
        run(self.enter + [
            "ovs-vswitchd", "unix:" + self.db_sock,
            "--pidfile=" + self.pidfile("ovs-vswitchd"), "--detach", "-vconsole:off",
            "--log-file=" + os.path.join(self.rundir, "ovs-vswitchd.log")], env=self.env)

    def restart_vswitchd(self) -> int:
        """Stop ovs-vswitchd (flows and datapath state go with it) and start it again on the
        same database, as `systemctl restart` would; returns the new pid."""
        pid = self.pid("ovs-vswitchd")
        if pid:
            stop_pid(pid)
        self.start_vswitchd()
        return self.pid("ovs-vswitchd")

    def stop(self) -> None:
        for daemon in DAEMONS:
            pid = self.pid(daemon)
            if pid:
                stop_pid(pid)

    # ----------------------------------------------------------------------------- control
    def vsctl(self, *args: str, timeout: float = 30) -> str:
        return run(["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=%d" % timeout,
                    *args], env=self.env, timeout=timeout + 5).stdout

    def ofctl(self, command: str, bridge: str, *args: str, check: bool = True) -> str:
        target = "unix:" + os.path.join(self.rundir, bridge + ".mgmt")
        return run(["ovs-ofctl", "-O", "OpenFlow13", command, target, *args], env=self.env,
                   check=check).stdout

    def appctl(self, *args: str) -> str:
        return run(["ovs-appctl", *args], env=self.env).stdout

    def appctl_all(self, commands: list[list[str]]) -> None:
        """Several ovs-appctl commands over one connection to ovs-vswitchd's control socket
        (an ovs-appctl process each costs milliseconds: a 100-node cloud seeds 9,900 tunnel
        neighbours)."""
        with warnings.catch_warnings():   # (it imports eventlet, which says it is deprecated)
            warnings.simplefilter("ignore")
            from ovs.unixctl.client import UnixctlClient   # (Debian's python3-openvswitch)
        path = os.path.join(self.rundir, f"ovs-vswitchd.{self.pid('ovs-vswitchd')}.ctl")
        error, client = UnixctlClient.create(path)
        if error:
            raise OvsError(f"cannot reach {path}: {os.strerror(error)}")
        try:
            for command, *args in commands:
                error, fault, _ = client.transact(command, args)
                if error or fault:
                    raise OvsError(f"ovs-appctl {command} {' '.join(args)}: "
                                   f"{fault or os.strerror(error)}")
        finally:
            client.close()

    def dump_flows(self, bridge: str, *args: str) -> str:
        """dump-flows in the form flows.ofctl.parse_dump reads."""
        return self.ofctl("dump-flows", bridge, "--no-stats", "--no-names", *args)

    def ofports(self, bridge: str) -> dict[str, int]:
        """Port name -> OpenFlow port number of a bridge (from OVSDB)."""
        out = self.vsctl("--format=csv", "--data=bare", "--no-headings", "--columns=name,ofport",
                         "list", "Interface")
        ports = set(self.vsctl("list-ports", bridge).split())
        result = {}
        for line in out.splitlines():
            name, _, ofport = line.partition(",")
            if name in ports and ofport.strip().lstrip("-").isdigit() and int(ofport) > 0:
                result[name] = int(ofport)
        return result
