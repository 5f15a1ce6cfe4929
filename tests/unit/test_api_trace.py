"""POST /v2.0/traces: the API resource `overlay trace` calls (flows/trace.py behind it)."""
from tests.support.apicall import call


def test_the_api_resource_and_its_refusals(api):
    code, body = call(api, "POST", "/traces", {"trace": {"from": "vm-a1",
                                                         "packet": "icmp,nw_dst=10.0.0.6"}})
    assert code == 200 and body["trace"]["summary"].startswith("delivered to port vm-a3")
    assert set(body["trace"]) == {"source", "packet", "hops", "verdicts", "entries", "summary"}
    assert call(api, "GET", "/traces")[0] == 405
    for bad, words in [({"trace": {"from": "vm-a1"}}, "Bad trace request: expected"),
                       ({"trace": {"from": "vm-a1", "packet": "icmp", "x": 1}}, "expected"),
                       ({"trace": {"from": "vm-a1", "packet": "icmp"}}, "give the destination")]:
        code, body = call(api, "POST", "/traces", bad)
        assert code == 400 and words in body["NeutronError"]["message"], body
