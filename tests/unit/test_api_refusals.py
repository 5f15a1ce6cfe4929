"""Every kind of bad request (tests/support/bad_requests.py) over the WSGI app: its status,
a message naming the fault, no traceback, and nothing changed (document, version, records,
no change announced)."""
import pytest

from tests.support.apicall import call, refused
from tests.support.bad_requests import BAD


def test_there_are_many_kinds():
    assert len({b.kind for b in BAD}) == len(BAD) >= 40


@pytest.mark.parametrize("bad", BAD, ids=[b.kind for b in BAD])
def test_bad_request_changes_nothing(api, bad):
    for method, path, body in bad.setup:
        code, answer = call(api, method, path, body)
        assert code < 300, answer
    refused(api, bad.method, bad.path, bad.body, bad.status, bad.fragment,
            headers=bad.headers)
