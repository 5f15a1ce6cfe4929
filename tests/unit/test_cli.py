"""The `overlay` client's command line: what each command asks of the API, and its tables."""
from controller import cli


def attrs(*argv):
    return cli._create_attrs(cli.parser().parse_args(list(argv)))


def test_create_commands_map_to_neutron_attributes():
    assert attrs("net-create", "TenantD-Net", "--type", "gre", "--segmentation-id", "77") == {
        "name": "TenantD-Net", "provider:network_type": "gre", "provider:segmentation_id": 77}
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
