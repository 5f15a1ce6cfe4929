"""The `overlay` client's command line: what each command asks of the API, and its tables."""
from controller import cli


def attrs(*argv):
    return cli._create_attrs(cli.parser().parse_args(list(argv)))


def test_create_commands_map_to_neutron_attributes():
    assert attrs("net-create", "TenantD-Net", "--type", "gre", "--segmentation-id", "77") == {
        "name": "TenantD-Net", "provider:network_type": "gre", "provider:segmentation_id": 77}
    assert attrs("net-create", "G", "--type", "vlan", "--physical-network", "physnet1") == {
        "name": "G", "provider:network_type": "vlan", "provider:physical_network": "physnet1"}
    assert attrs("subnet-create", "TenantD-Net", "fd02::/64") == {
        "network_id": "TenantD-Net", "cidr": "fd02::/64"}
    assert attrs("subnet-create", "TenantD-Net", "10.2.0.0/24", "--no-dhcp", "--name", "s") == {
        "network_id": "TenantD-Net", "cidr": "10.2.0.0/24", "name": "s", "enable_dhcp": False}
    assert attrs("port-create", "TenantD-Net", "--host", "compute2", "--name", "vm-d2",
                 "--ip", "10.2.0.9", "--ip", "fd02::9") == {
        "network_id": "TenantD-Net", "binding:host_id": "compute2", "name": "vm-d2",
        "fixed_ips": [{"ip_address": "10.2.0.9"}, {"ip_address": "fd02::9"}]}
    assert attrs("port-create", "TenantD-Net") == {"network_id": "TenantD-Net"}


def test_lists_print_as_tables():
    text = cli.table([{"name": "vm-d2", "fixed_ips": [{"ip_address": "10.2.0.9"},
                                                     {"ip_address": "fd02::9"}]}],
                     ("name", "fixed_ips"))
    assert "| vm-d2 | 10.2.0.9, fd02::9 |" in text.splitlines()


def test_unreachable_api_is_a_clear_failure(capsys):
    assert cli.main(["--url", "http://127.0.0.1:9/v2.0", "net-list"]) == 1
    assert "cannot reach the API at http://127.0.0.1:9/v2.0" in capsys.readouterr().err


def test_every_command_reads_and_parses_as_recorded(monkeypatch):
    """Each command's help and what a minimal invocation parses to (tests/golden/
    overlay_cli.txt): a renamed option, a lost default or choice shows as a diff."""
    import argparse

    from tests.support import golden
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("OVERLAY_URL", "OVERLAY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    p = cli.parser()
    out = [p.format_help()]
    (sub,) = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    for command, sp in sub.choices.items():
        positional = [a.dest for a in sp._actions if not a.option_strings]
        args = p.parse_args([command] + [f"<{d}>" for d in positional])
        out += [f"=== {command}", sp.format_help(),
                "parsed: " + repr(sorted(vars(args).items()))]
    golden.check("overlay_cli.txt", "\n".join(out) + "\n", "the overlay command line")
