"""The launcher cleans up after itself on SIGTERM, and the cleanup command after a SIGKILL."""
import json
import os
import signal
import subprocess
import sys

import pytest

from mininet_topos.controller_proc import ROOT
from mininet_topos.ovs import become_subreaper, pid_alive, reap, wait_for
from mininet_topos.state import BASE_DIR
from tests.conftest import SEED
from tests.support.clean import leftovers

RUNDIR = os.path.join(BASE_DIR, "seed")


@pytest.fixture
def launched(tmp_path):
    """The launcher running the seed cloud, holding it open in a CLI script."""
    become_subreaper()  # what the launcher orphans (when SIGKILLed) comes to us to be reaped
    script = tmp_path / "hold.cli"
    script.write_text("px import time; time.sleep(300)\n")
    out = tmp_path / "launch.out"
    with open(out, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-u", "-m", "mininet_topos.launch", SEED,
                                 "--script", str(script)], cwd=ROOT, stdout=fh,
                                stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "*** ready" in out.read_text() or proc.poll() is not None, 90,
                 "the launched cloud to converge")
        assert proc.poll() is None, out.read_text()
        text = out.read_text()   # (progress as plain lines: not a terminal)
        assert "*** 3/3 nodes up (" in text and "*** 10/10 bridges exact (" in text, text
        with open(os.path.join(RUNDIR, "state.json")) as fh:
            pids = [e["pid"] for e in json.load(fh)["pids"]]
        assert len(pids) >= 3 + 6 + 2 * 3 + 1  # node shells, VM shells, OVS daemons, controller
        yield proc, pids, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        subprocess.run([sys.executable, "-m", "mininet_topos.cleanup", RUNDIR], cwd=ROOT)
        for pid in locals().get("pids", []):
            reap(pid, timeout=0.5)


def test_sigterm_tears_everything_down(launched):
    proc, pids, out = launched
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert "tearing down" in out.read_text()
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "every recorded process to end")
    assert not leftovers(RUNDIR, pids)


def test_cleanup_command_after_sigkill(launched):
    proc, pids, _ = launched
    proc.kill()
    proc.wait()
    assert any(pid_alive(p) for p in pids), "a SIGKILLed launcher leaves its cloud running"
    result = subprocess.run([sys.executable, "-m", "mininet_topos.cleanup", "--all"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "stopped osken-manager" in result.stdout
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "every recorded process to end")
    for pid in pids:  # the orphans came to us (subreaper): collect them before looking
        reap(pid, timeout=0.5)
    assert not leftovers(RUNDIR, pids)
