"""A 16-compute cloud on this 2-core machine: starts, converges, forwards, tears down clean.

Start time and memory are printed (and quoted in closing notes), never asserted: speed
targets belong to bench/.
"""
from cloud import generate
from mininet_topos import walks
from mininet_topos.deployment import Deployment
from tests.support.clean import leftovers, recorded_pids

COMPUTES = 16


def test_sixteen_computes(tmp_path, capsys):
    path = tmp_path / "c16.yaml"
    path.write_text(generate.dump(generate.generate(COMPUTES)))
    d = Deployment.from_file(str(path))
    pids = []
    try:
        d.start(timeout=120)
        pids = recorded_pids(d)
        figures = (f"{COMPUTES} computes + network node: controller and cloud up in "
                   f"{d.timings['cloud']:.1f}s, every bridge exact {d.timings['converge']:.1f}s "
                   "later, "
                   f"{d.flow_count()} flows, {d.memory_mib():.0f} MiB")
        last = COMPUTES + 1  # vm-a17 / vm-b17 live on compute16
        checks = [walks.walk2(d, "vm-a1", f"vm-a{last}"), walks.walk2(d, "vm-b1", f"vm-b{last}"),
                  walks.walk1(d, "vm-a1", "vm-a2")]
        failures = d.controller.failures()
    finally:
        d.stop()
    with capsys.disabled():
        print(f"\n    {figures}")
    assert all(c.passed for c in checks), [str(c) for c in checks if not c.passed]
    assert not failures, failures
    assert not leftovers(d.ec.rundir, pids)
