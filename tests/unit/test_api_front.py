"""The API's front door and Neutron's list semantics: version discovery, extensions, token
authentication, a bug answered 500 without its traceback, filters, fields, sorting and
pagination."""
import logging

from controller import api as api_module
from tests.support.apicall import call, get
from tests.support.bad_requests import NET_A, R_A
from tests.unit.conftest import make_api


def test_version_discovery(api):
    code, doc = call(api, "GET", "/", raw_path=True)
    assert code == 200
    (v2,) = doc["versions"]
    assert v2["id"] == "v2.0" and v2["status"] == "CURRENT"
    assert v2["links"][0]["href"].endswith("/v2.0/")
    resources = get(api, "")["resources"]
    assert {"networks", "subnets", "ports", "routers", "floatingips", "agents"} <= \
        {r["collection"] for r in resources}


def test_extensions_are_the_implemented_ones(api):
    aliases = {e["alias"] for e in get(api, "/extensions")["extensions"]}
    assert {"provider", "binding", "external-net", "router", "ext-gw-mode", "agent",
            "pagination", "sorting", "standard-attr-tag", "security-group",
            "allowed-address-pairs", "port-security"} <= aliases
    assert not aliases & {"dvr", "l3-ha", "qos", "extraroute", "subnet_allocation",
                          "address-group"}
    assert get(api, "/extensions/binding")["extension"]["alias"] == "binding"


def test_token_authentication(tmp_path):
    api = make_api(tmp_path / "s.sqlite", token="s3cret")
    assert call(api, "GET", "/networks")[0] == 401
    assert call(api, "GET", "/networks", headers={"X-Auth-Token": "wrong"})[0] == 401
    assert call(api, "GET", "/networks", headers={"X-Auth-Token": "s3cret"})[0] == 200
    assert call(api, "GET", "/", raw_path=True)[0] == 200  # discovery stays open
    code, _ = call(api, "POST", "/networks", {"network": {}})
    assert code == 401 and api.keeper.version == 1


def test_a_bug_is_a_500_without_traceback(api, monkeypatch, caplog):
    def broken(doc, attrs):
        raise ZeroDivisionError("planted")
    monkeypatch.setitem(api_module.CREATE, "networks", broken)
    with caplog.at_level(logging.ERROR):
        code, answer = call(api, "POST", "/networks", {"network": {"name": "x"}})
    assert code == 500
    assert answer["NeutronError"]["message"] == "Request Failed: internal server error " \
        "while processing your request."
    assert "planted" not in str(answer) and "planted" in caplog.text


def test_filters(api):
    ports = get(api, f"/ports?network_id={NET_A}")["ports"]
    assert {p["network_id"] for p in ports} == {NET_A} and len(ports) == 5
    by_host = get(api, "/ports?binding:host_id=compute1&binding:host_id=compute2")["ports"]
    assert {p["binding:host_id"] for p in by_host} == {"compute1", "compute2"}
    assert len(by_host) == 13
    one = get(api, "/ports?fixed_ips=ip_address=10.0.0.4")["ports"]
    assert {p["name"] for p in one} == {"vm-a1", "vm-b1"}
    assert {p["name"] for p in get(api, "/ports?fixed_ips=ip_address_substr=10.0.2.")[
        "ports"]} == {"vm-c1", "qr-tenant-c"}
    assert [n["name"] for n in get(api, "/networks?provider:segmentation_id=5001")[
        "networks"]] == ["TenantB-Net"]
    assert [n["name"] for n in get(api, "/networks?router:external=True")["networks"]] == \
        ["Ext-Net"]
    assert get(api, "/subnets?name=TenantC-Subnet")["subnets"][0]["cidr"] == "10.0.2.0/24"


def test_fields_sorting_pagination(api):
    names = get(api, "/networks?fields=name&fields=id")["networks"]
    assert all(set(n) == {"name", "id"} for n in names)
    ordered = [n["name"] for n in get(api, "/networks?sort_key=name&sort_dir=desc")[
        "networks"]]
    assert ordered == ["TenantF-Net", "TenantE-Net", "TenantD-Net", "TenantC-Net",
                       "TenantB-Net", "TenantA-Net", "Ext-Net"]
    page = get(api, "/networks?sort_key=name&sort_dir=asc&limit=3")
    assert [n["name"] for n in page["networks"]] == ["Ext-Net", "TenantA-Net", "TenantB-Net"]
    (link,) = page["networks_links"]
    assert link["rel"] == "next"
    rest = get(api, link["href"].split("/v2.0", 1)[1])
    assert [n["name"] for n in rest["networks"]] == ["TenantC-Net", "TenantD-Net",
                                                     "TenantE-Net"]
    assert [lk["rel"] for lk in rest["networks_links"]] == ["next", "previous"]
    back = get(api, rest["networks_links"][1]["href"].split("/v2.0", 1)[1])
    assert [n["name"] for n in back["networks"]] == ["Ext-Net", "TenantA-Net", "TenantB-Net"]
    assert get(api, f"/routers/{R_A}?fields=name")["router"] == {"name": "TenantA-R1"}
