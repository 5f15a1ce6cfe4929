"""`overlay graph` (controller/graph.py): the picture of the seed cloud and of a 16-compute
cloud, drawn by Graphviz, holds every node, bridge, tunnel, VM, router and floating IP (read
back from the SVG by the ids the picture gives them)."""
import xml.etree.ElementTree as ET

import pytest

from cloud import generate, schema
from controller import graph
from flows.desired import bridges_of

SVG = "{http://www.w3.org/2000/svg}"


def drawn(cloud, tmp_path) -> set[str]:
    path = tmp_path / "cloud.svg"
    graph.draw(graph.dot(cloud), str(path))
    root = ET.parse(path).getroot()
    ids = {g.get("id") for g in root.iter(f"{SVG}g") if g.get("id")}
    titles = {t.text for t in root.iter(f"{SVG}title") if t.text}
    return ids | titles


def expected(cloud) -> set[str]:
    want = {f"node:{n.name}" for n in cloud.nodes}
    want |= {f"bridge:{n.name}/{b}" for n in cloud.nodes for b in bridges_of(n)}
    want |= {ident for ident, *_ in graph.tunnel_ids(cloud)}
    want |= {f"port:{p.id}" for p in cloud.ports}
    want |= {f"router:{r.id}" for r in cloud.routers}
    want |= {f"fip:{f.ip}" for f in cloud.floating_ips if f.port_id}
    want |= {f"physnet:{p.name}" for p in cloud.physical_networks}
    want |= {f"network:{n.id}" for n in cloud.networks}
    return want


def test_the_seed_cloud_is_drawn_whole(seed_cloud, tmp_path):
    found = drawn(seed_cloud, tmp_path)
    assert expected(seed_cloud) <= found, sorted(expected(seed_cloud) - found)
    assert len(graph.tunnel_ids(seed_cloud)) == 6   # VXLAN and GRE between the three nodes
    assert "fip:10.1.101.241" in found and "external" in found


def test_a_16_compute_cloud_is_drawn_whole(tmp_path):
    cloud = schema.parse(generate.generate(16, physnet=True), "<c16>")
    found = drawn(cloud, tmp_path)
    assert expected(cloud) <= found, sorted(expected(cloud) - found)
    assert len([n for n in found if n.startswith("node:")]) == 17


def test_counters_annotate_tunnels_and_ports(seed_cloud):
    ident = graph.tunnel_ids(seed_cloud)[0][0]
    text = graph.dot(seed_cloud, {ident: "compute1->compute2 7 pkts"})
    assert "compute1->compute2 7 pkts" in text


def test_the_picture_name_says_its_format(seed_cloud, tmp_path):
    graph.draw(graph.dot(seed_cloud), str(tmp_path / "c.dot"))
    assert (tmp_path / "c.dot").read_text().startswith('graph "seed" {')
    with pytest.raises(ValueError, match="must end in .svg, .png or .dot"):
        graph.draw("graph {}", str(tmp_path / "c.gif"))
