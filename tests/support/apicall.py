"""Calls to the API's WSGI app without a server, and the check every refusal must pass."""
import json

import webob

from controller.store import Store


def call(api, method, path, body=None, headers=None, raw_path=False):
    """(status, JSON answer or None) of one request; path under /v2.0 unless raw_path."""
    req = webob.Request.blank(path if raw_path else "/v2.0" + path, method=method,
                              headers=headers or {})
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        if "Content-Type" not in (headers or {}):
            req.content_type = "application/json"
    resp = req.get_response(api)
    try:
        return resp.status_int, (resp.json if resp.body else None)
    except ValueError:
        return resp.status_int, resp.text


def get(api, path):
    code, answer = call(api, "GET", path)
    assert code == 200, answer
    return answer


def refused(api, method, path, body, status, fragment, **kwargs):
    """The request gets `status` with `fragment` in its message, and changes nothing:
    same document, same version and records in the store, nothing announced."""
    doc, version = json.dumps(api.keeper.doc, sort_keys=True), api.keeper.version
    records = dict(api.keeper.records)
    announced = len(api.changes)
    code, answer = call(api, method, path, body, **kwargs)
    assert code == status, answer
    message = answer["NeutronError"]["message"]
    assert fragment in message, answer
    assert "Traceback" not in message
    assert json.dumps(api.keeper.doc, sort_keys=True) == doc
    assert Store(api.path).load() == (version, api.keeper.doc)
    assert Store(api.path).records() == records == api.keeper.records
    assert len(api.changes) == announced, "no change announced to the controller"
    return message
