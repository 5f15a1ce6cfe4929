"""What a real ovs-vswitchd prints, read without a switch: the dumps in tests/golden/
dump_<cloud>_<bridge>.txt were printed by `ovs-ofctl dump-flows --sort` of compute1's bridges
loaded with the computed flows (tests/pipeline/test_trace.py records them and checks them
against a live switch at every run); parsed back here they must be exactly the flows computed
for compute1, for the seed with l2pop, without it (the learn action) and with DHCP."""
import pytest

from cloud import schema
from cloud.naming import BR_INT, BR_TUN
from flows import cloudsim, desired, ofctl
from tests.conftest import variant_raw
from tests.support.golden import FOLDER


def computed(kind: str) -> dict:
    cloud = schema.parse(variant_raw(kind), f"<{kind}>")
    ports = cloudsim.number_ports(cloud, "compute1")
    return desired.node_flows(cloudsim.node_view(cloud, "compute1", ports))


@pytest.mark.parametrize("kind", ["l2pop", "learning", "dhcp"])
def test_a_recorded_dump_parses_to_the_computed_flows(kind):
    flows = computed(kind)
    assert set(flows) == {BR_INT, BR_TUN, "br-eth1"}
    for bridge in flows:
        text = (FOLDER / f"dump_{kind}_{bridge}.txt").read_text()
        parsed = ofctl.parse_dump(text)
        assert len(parsed) == len(text.splitlines())
        assert desired.index(parsed) == flows[bridge], (kind, bridge)


def test_our_rendering_reads_as_recorded():
    """How flows/ofctl.py writes the same flows (what tier 2 loads with add-flows and the send
    path logs at debug level): tests/golden/render_compute1.txt."""
    from tests.support import golden
    out = []
    for kind in ("l2pop", "learning", "dhcp"):
        for bridge, flows in sorted(computed(kind).items()):
            out.append(f"### {kind} {bridge}")
            out += sorted(ofctl.render(f) for f in flows.values())
    golden.check("render_compute1.txt", "\n".join(out) + "\n", "the rendered flows")
