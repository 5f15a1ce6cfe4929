import pytest

from cloud import generate, schema


def shape(cloud):
    """Per node: (role, management IP, tunnel IP, the (network name, IP) of its VM ports).
    (Generated clouds leave out the seed's IPv6, DHCP, TenantC and routers: scale figures
    stay comparable.)"""
    nets = {n.id: n.name for n in cloud.networks if n.name in ("TenantA-Net", "TenantB-Net")}
    return {n.name: (n.role, str(n.management_ip), str(n.tunnel_ip),
                     sorted((nets[p.network_id], str(p.ips[0])) for p in cloud.ports_on(n.name)
                            if p.is_vm and p.network_id in nets))
            for n in cloud.nodes}


def test_two_computes_is_the_seed_shape(seed_cloud):
    generated = schema.parse(generate.generate(2), "<generated>")
    assert shape(generated) == shape(seed_cloud)
    assert [(n.type, n.segmentation_id) for n in generated.networks] == \
        [(n.type, n.segmentation_id) for n in seed_cloud.networks][:2]


@pytest.mark.parametrize("n", [1, 4, 16, 200])
def test_scaled_clouds_validate(n):
    cloud = schema.parse(generate.generate(n), "<generated>")
    assert len(cloud.nodes) == n + 1
    assert len(cloud.ports) == 2 * (n + 1)
    assert all(len(cloud.networks_on(f"compute{i}")) == 2 for i in range(1, n + 1))


def test_out_of_range():
    with pytest.raises(ValueError, match="1..200"):
        generate.generate(0)


def test_written_file_loads(tmp_path):
    path = tmp_path / "c3.yaml"
    generate.main(["--computes", "3", "-o", str(path)])
    assert len(schema.load(str(path)).nodes) == 4


def test_a_generated_cloud_reads_as_recorded(capsys):
    """`python -m cloud.generate --computes 2` prints tests/golden/generated_c2.yaml: the
    seed's shape, key order and flow style as the benchmarks' cloud files have them."""
    from tests.support import golden
    assert generate.main(["--computes", "2"]) == 0
    golden.check("generated_c2.yaml", capsys.readouterr().out, "the generated cloud file")


def test_bad_arguments_are_refused(capsys):
    for argv in (["--computes", "0"], [], ["--computes", "x"]):
        with pytest.raises(SystemExit) as exit_:
            generate.main(argv)
        assert exit_.value.code == 2
    assert "1..200" in capsys.readouterr().err


def test_generated_clouds_do_not_share_their_networks():
    one, two = generate.generate(1), generate.generate(1)
    one["networks"][0]["name"] = "changed"
    assert two["networks"][0]["name"] != "changed" and generate.NETWORKS[0]["name"] != "changed"
