"""Bad cloud files: one clear message naming file, entry and fault; exit code 2; nothing
started (launcher) and nothing programmed (controller)."""
import os
import subprocess
import sys

import yaml

from mininet_topos.controller_proc import APP, ROOT, config_text
from mininet_topos.state import BASE_DIR
from tests.support.clean import leftovers


def bad_seed(seed_raw, tmp_path, name="badcloud"):
    seed_raw["cloud"] = name
    seed_raw["ports"][5]["ip"] = "10.0.1.6"            # outside the CIDR (TenantB-Net)
    seed_raw["networks"][0]["segmentation_id"] = 2**24  # out of range for VXLAN
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(seed_raw, sort_keys=False))
    return str(path)


def test_launcher_refuses_a_bad_cloud_and_starts_nothing(seed_raw, tmp_path):
    path = bad_seed(seed_raw, tmp_path)
    proc = subprocess.run([sys.executable, "-m", "mininet_topos.launch", path, "--no-cli"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert f"{path}: networks[0] (TenantA-Net): segmentation_id 16777216 out of range for " \
           "vxlan (1..16777215)" in lines
    assert f"{path}: ports[5] (vm-b3): IP 10.0.1.6 is outside network TenantB-Net's subnets " \
           "10.0.0.0/24, fd00::/64" in lines
    assert not leftovers(os.path.join(BASE_DIR, "badcloud"), [])


def run_controller(tmp_path, cloud_file, listen="192.168.10.1"):
    conf = tmp_path / "overlay.conf"
    text = config_text(__import__("cloud.schema").schema.load(
        os.path.join(ROOT, "clouds", "seed.yaml")), cloud_file)
    conf.write_text(text.replace("192.168.10.1", listen))
    manager = os.path.join(os.path.dirname(sys.executable), "osken-manager")
    return subprocess.run([manager, "--config-file", str(conf), APP], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_controller_refuses_a_bad_cloud(seed_raw, tmp_path):
    path = bad_seed(seed_raw, tmp_path)
    proc = run_controller(tmp_path, path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"{path}: ports[5] (vm-b3): IP 10.0.1.6 is outside" in proc.stderr


def test_controller_refuses_a_listen_address_the_cloud_does_not_have(tmp_path):
    proc = run_controller(tmp_path, os.path.join(ROOT, "clouds", "seed.yaml"),
                          listen="192.168.77.1")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "controller 192.168.10.1 differs from ofp_listen_host 192.168.77.1" in proc.stderr
