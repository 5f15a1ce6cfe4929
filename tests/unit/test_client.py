"""The API's own clients over real HTTP (tier 1, a loopback server in a thread): the small
Client the tests and the launcher use, and the `overlay` command, verb by verb."""
import json

import pytest

from controller import cli
from controller.client import AGENT_HEADER, ApiError, Client
from tests.support.bad_requests import NET_A, R_A, VM_A1
from tests.support.loopback import serve


@pytest.fixture
def url(tmp_path):
    with serve(str(tmp_path)) as base:
        yield base


def overlay(url, capsys, *argv, status=0):
    code = cli.main(["--url", url, *argv])
    out, err = capsys.readouterr()
    assert code == status, err
    return json.loads(out) if "--json" in argv and not status else (out if not status else err)


def test_client_verbs(url):
    client = Client(url)
    names = {n["name"] for n in client.list("networks")}
    assert {"TenantA-Net", "TenantB-Net", "TenantC-Net", "TenantD-Net", "TenantE-Net",
            "TenantF-Net", "Ext-Net"} == names
    assert client.show("ports", VM_A1)["name"] == "vm-a1"
    net = client.create("networks", name="d", **{"provider:network_type": "gre"})
    assert client.update("networks", net["id"], name="e")["name"] == "e"
    assert client.delete("networks", net["id"]) is None
    with pytest.raises(ApiError) as err:
        client.show("networks", net["id"])
    assert (err.value.status, err.value.kind) == (404, "NotFound")
    assert err.value.message == f"Network {net['id']} could not be found."
    assert str(err.value) == f"404 NotFound: Network {net['id']} could not be found."
    assert Client(url + "/").list("routers") == client.list("routers")   # (a trailing slash)
    assert Client(url).timeout == 30.0 and "X-Auth-Token" not in Client(url).headers
    assert client.cloud()["version"] == 4


def test_client_sends_the_token_and_the_agent_header(tmp_path):
    with serve(str(tmp_path), token="s3cret") as base:
        with pytest.raises(ApiError) as err:
            Client(base).list("networks")
        assert err.value.status == 401
        assert Client(base, token="s3cret").list("routers")
        agent = Client(base, token="s3cret", agent_host="network")
        assert agent.headers[AGENT_HEADER] == "network"
        agent.cloud()
        alive = {(a["agent_type"], a["host"]): a["alive"]
                 for a in Client(base, token="s3cret").list("agents")}
        assert alive[("DHCP agent", "network")] and alive[("L3 agent", "network")]


def test_a_non_json_error_is_still_an_api_error(url):
    with pytest.raises(ApiError) as err:
        Client(url.replace("/v2.0", "")).request("GET", "/nothing-here")
    assert err.value.status == 404


def test_an_error_page_that_is_not_neutron_s_is_an_api_error_too(tmp_path):
    """A proxy's HTML error page (no NeutronError in it)."""
    def proxy(environ, start_response):
        start_response("502 Bad Gateway", [("Content-Type", "text/html")])
        return [b"<html>Bad Gateway</html>"]
    with serve(str(tmp_path), app=proxy) as base:
        with pytest.raises(ApiError) as err:
            Client(base).list("networks")
    assert (err.value.status, err.value.kind) == (502, "Error")
    assert err.value.message == "HTTP Error 502: Bad Gateway"


def test_overlay_lists_and_shows(url, capsys):
    text = overlay(url, capsys, "net-list")
    assert "TenantA-Net" in text and "| id " in text.splitlines()[1]
    assert overlay(url, capsys, "--json", "port-show", "vm-a1")["id"] == VM_A1
    nodes = overlay(url, capsys, "--json", "node-list")
    assert [n["name"] for n in nodes] == ["network", "compute1", "compute2"]
    assert "TenantA-R1" in overlay(url, capsys, "router-show", R_A)


def test_overlay_creates_moves_deletes(url, capsys):
    net = overlay(url, capsys, "--json", "net-create", "TenantG-Net", "--type", "gre",
                  "--segmentation-id", "77")
    assert (net["provider:network_type"], net["provider:segmentation_id"]) == ("gre", 77)
    sub = overlay(url, capsys, "--json", "subnet-create", "TenantG-Net", "10.2.0.0/24",
                  "--no-dhcp", "--name", "d-sub", "--gateway", "10.2.0.254")
    assert (sub["name"], sub["enable_dhcp"], sub["gateway_ip"]) == ("d-sub", False,
                                                                    "10.2.0.254")
    port = overlay(url, capsys, "--json", "port-create", "TenantG-Net", "--host", "compute2",
                   "--name", "vm-g2", "--mac", "fa:16:3e:d2:00:02", "--ip", "10.2.0.9")
    assert (port["binding:host_id"], port["mac_address"]) == ("compute2", "fa:16:3e:d2:00:02")
    assert [f["ip_address"] for f in port["fixed_ips"]] == ["10.2.0.9"]
    moved = overlay(url, capsys, "--json", "port-update", "vm-g2", "--host", "compute1",
                    "--name", "vm-g3")
    assert (moved["binding:host_id"], moved["name"]) == ("compute1", "vm-g3")
    assert "Deleted port" in overlay(url, capsys, "port-delete", "vm-g3")
    assert "Deleted network" in overlay(url, capsys, "net-delete", "TenantG-Net")


def test_overlay_routers_and_floating_ips(url, capsys):
    overlay(url, capsys, "router-create", "TenantG-R1", "--external", "Ext-Net")
    overlay(url, capsys, "router-interface-remove", "TenantC-R1", "TenantC-Net")
    info = overlay(url, capsys, "--json", "router-interface-add", "TenantG-R1", "TenantC-Net")
    assert info["port_id"] and info["subnet_id"]
    cleared = overlay(url, capsys, "--json", "router-gateway-clear", "TenantC-R1")
    assert cleared["external_gateway_info"] is None
    again = overlay(url, capsys, "--json", "router-gateway-set", "TenantC-R1", "Ext-Net")
    assert again["external_gateway_info"]["network_id"]
    fip = overlay(url, capsys, "--json", "floatingip-create", "Ext-Net", "--port", "vm-c1",
                  "--ip", "10.1.101.250")
    assert fip["floating_ip_address"] == "10.1.101.250" and fip["fixed_ip_address"]
    spare = overlay(url, capsys, "--json", "floatingip-create", "Ext-Net")
    assert spare["port_id"] is None
    text = overlay(url, capsys, "floatingip-list")
    assert "10.1.101.250" in text and "10.1.101.241" in text


def test_overlay_refusals_and_names(url, capsys):
    err = overlay(url, capsys, "port-create", "TenantA-Net", "--host", "compute9", status=1)
    assert "BadRequest: Invalid input" in err and "unknown node 'compute9'" in err
    overlay(url, capsys, "net-create", "Twin")
    overlay(url, capsys, "net-create", "Twin")
    err = overlay(url, capsys, "net-show", "Twin", status=1)
    assert "Multiple networks match the name Twin; use an id." in err
    err = overlay(url, capsys, "net-delete", NET_A, status=1)
    assert "Conflict" in err and "still in use" in err



def test_overlay_prints_as_recorded(url, capsys, monkeypatch, tmp_path):
    """What each command prints, tables and JSON (tests/golden/overlay_session.txt); the API
    address and token from the environment when not given."""
    from tests.support import golden
    from tests.support.session import Normal
    monkeypatch.setenv("OVERLAY_URL", url)
    monkeypatch.setenv("OVERLAY_TOKEN", "unused-by-noauth")
    monkeypatch.chdir(tmp_path)
    session = [
        ["trace", "vm-a1", "tcp,nw_dst=10.0.0.6,tp_dst=22"],   # (first: the seed's ports
        ["trace", "vm-a1", "icmp,nw_dst=10.0.0.99"],          # only, so stable ofports)
        ["net-list"], ["subnet-list"], ["port-list"], ["node-list"], ["router-list"],
        ["floatingip-list"], ["net-show", "TenantA-Net"], ["port-show", "vm-a1"],
        ["router-show", "TenantA-R1"], ["--json", "net-show", "TenantC-Net"],
        ["net-create", "TenantG-Net", "--type", "gre", "--segmentation-id", "77"],
        ["subnet-create", "TenantG-Net", "10.2.0.0/24", "--name", "d4", "--no-dhcp"],
        ["port-create", "TenantG-Net", "--name", "vm-g1", "--ip", "10.2.0.9"],
        ["port-update", "vm-g1", "--host", "compute1"],
        ["router-create", "TenantG-R1", "--external", "Ext-Net"],
        ["router-interface-add", "TenantG-R1", "TenantG-Net"],
        ["floatingip-create", "Ext-Net", "--port", "vm-g1"],
        ["--json", "floatingip-list"], ["port-list"],
        ["router-interface-remove", "TenantG-R1", "TenantG-Net"],
        ["net-show", "nothing"], ["router-delete", "TenantG-R1"],
        ["graph", "-o", "cloud.dot"], ["graph", "-o", "cloud.gif"],
    ]
    normal, out = Normal(json.dumps(Client(url).cloud())), []
    for argv in session:
        code = cli.main(argv)
        printed, err = capsys.readouterr()
        out.append(f"$ overlay {' '.join(argv)}  -> {code}\n{printed}{err}")
    golden.check("overlay_session.txt", normal("\n".join(out)), "what overlay prints")
