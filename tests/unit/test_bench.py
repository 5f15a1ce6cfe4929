"""The benchmarks' own pieces (tier 1): synthetic clouds are valid and spread as documented,
figures compute their ratios within each run, the table says when a goal is missed."""
import pytest

from bench import synthetic
from bench.report import Figure, table


def test_synthetic_clouds_validate_and_spread_ports():
    cloud = synthetic.cloud(computes=8, networks=20, ports=200)
    assert len(cloud.nodes) == 9 and len(cloud.networks) == 20 and len(cloud.ports) == 200
    shares = [len(cloud.ports_on(f"compute{i}")) for i in range(1, 9)]
    assert sum(shares) == 200 and max(shares) - min(shares) <= 2, shares
    assert not cloud.ports_on("network")
    assert all(len(cloud.hosts_of(n.id)) == 8 for n in cloud.networks)  # 10 ports > 8 nodes
    assert {n.type for n in cloud.networks} == {"vxlan", "gre"}


def test_ratio_is_taken_within_each_run():
    f = Figure("x", "rate", "1/s", samples=[10, 40, 90], baseline=[10, 20, 30])
    assert f.median == 40
    assert f.ratio == 2.0           # runs: 1.0, 2.0, 3.0 (not 40 / 20 by accident only)
    g = Figure("x", "rate", "1/s", samples=[10, 40, 90], baseline=[20, 10, 30])
    assert g.ratio == 3.0           # runs: 0.5, 4.0, 3.0


def test_table_flags_a_missed_goal():
    text = table([Figure("1 x", "rate", "1/s", [1.0], [2.0], "base", goal=">= 1", met=False),
                  Figure("2 y", "time", "s", [1.0], goal="< 5", met=True)])
    rows = text.splitlines()
    assert "NO" in rows[2] and "0.50" in rows[2]
    assert rows[3].rstrip().endswith("yes")


def test_points_of_a_series_are_one_curve(tmp_path):
    """A series' figures (a cost against a size) are one panel of the picture, in size
    order, the others one panel each; the picture is drawn."""
    from bench import report
    figures = [report.Figure("10", f"{n} computes", "s", [n / 10, n / 9], x=n,
                             series="convergence") for n in (100, 32, 64)]
    figures.append(report.Figure("1", "flows", "1/s", [1.0], [2.0], "ofctl"))
    singles, series = report.panels(figures)
    assert singles == figures[3:] and list(series) == ["convergence"]
    assert [f.x for f in series["convergence"]] == [32, 64, 100]
    pytest.importorskip("matplotlib")
    import matplotlib.image
    path = report.plot(figures, str(tmp_path / "p.png"))
    assert path and matplotlib.image.imread(path).shape[0] > 100
