"""The controller's OVSDB client against a real ovsdb-server: tunnel ports made to match."""
import pytest

from cloud.naming import BR_TUN, PATCH_INT
from controller.ovsdb import OvsdbClient, OvsdbError, reconcile_tunnels
from flows.tunnels import desired_tunnels
from tests.support.netns_ovs import private_ovs


@pytest.fixture
def ovs():
    with private_ovs("ovsdb") as ovs:
        ovs.vsctl("add-br", BR_TUN, "--", "set", "bridge", BR_TUN, "datapath_type=netdev",
                  "--", "add-port", BR_TUN, PATCH_INT, "--", "set", "interface", PATCH_INT,
                  "type=patch", "options:peer=patch-tun")
        yield ovs


def tunnel_rows(ovs):
    ports = set(ovs.vsctl("list-ports", BR_TUN).split())
    rows = {}
    for name in ports:
        options = ovs.vsctl("get", "interface", name, "options").strip()
        remote = options.split("remote_ip=")[1].split(",")[0].strip('"}') \
            if "remote_ip=" in options else None
        rows[name] = (ovs.vsctl("get", "interface", name, "type").strip(), remote)
    return rows


def test_reconcile_adds_fixes_and_removes_only_tunnel_ports(ovs, learning_cloud):
    target = "unix:" + ovs.db_sock
    want = desired_tunnels(learning_cloud, "compute1")  # the full mesh: 4 tunnels
    with OvsdbClient(target) as client:
        changes = reconcile_tunnels(client, want)
    assert sorted(changes.added) == sorted(want) and not changes.removed
    rows = tunnel_rows(ovs)
    assert rows[PATCH_INT][0] == "patch"
    assert rows["vxlan-c0a8640c"] == ("vxlan", "192.168.100.12")
    assert rows["gre-c0a8640a"] == ("gre", "192.168.100.10")
    assert ovs.vsctl("get", "interface", "gre-c0a8640a", "options:out_key").strip() == "flow"

    # idempotent: nothing to do the second time
    with OvsdbClient(target) as client:
        assert not reconcile_tunnels(client, want)

    # a wrong option is fixed, an unwanted tunnel removed, patch-int untouched
    ovs.vsctl("set", "interface", "vxlan-c0a8640c", "options:remote_ip=192.168.100.99")
    fewer = {k: v for k, v in want.items() if k != "gre-c0a8640a"}
    with OvsdbClient(target) as client:
        changes = reconcile_tunnels(client, fewer)
    assert changes.updated == ["vxlan-c0a8640c"] and changes.removed == ["gre-c0a8640a"]
    rows = tunnel_rows(ovs)
    assert "gre-c0a8640a" not in rows and PATCH_INT in rows
    assert rows["vxlan-c0a8640c"] == ("vxlan", "192.168.100.12")


def test_unreachable_ovsdb_is_an_error(tmp_path):
    with pytest.raises(OSError):
        with OvsdbClient("unix:" + str(tmp_path / "nothing.sock"), timeout=1):
            pass
    with pytest.raises(OvsdbError, match="unsupported"):
        with OvsdbClient("ssl:1.2.3.4:6640"):
            pass
