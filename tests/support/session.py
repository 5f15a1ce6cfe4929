"""Replaying a scripted API session into a transcript (tests/golden/api_*.txt): each request,
its status and JSON answer, and the nodes each change reaches; generated ids and MACs seeded,
then written as <id N> and <mac N> in order of first appearance, times as <time>."""
import json
import random
import re
import uuid

from tests.support import golden
from tests.support.apicall import call
from tests.support.bad_requests import EXT, NET_A, NET_C, R_A, SUB_A4, SUB_C4, VM_A1

SEEDED = {NET_A: "NET_A", NET_C: "NET_C", EXT: "EXT", R_A: "R_A", SUB_A4: "SUB_A4",
          SUB_C4: "SUB_C4", VM_A1: "VM_A1"}


class Normal:
    """Generated ids, MACs and times written as <id N>, <mac N>, <time>."""
    UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    MAC = re.compile(r"fa:16:3e(?::[0-9a-f]{2}){3}")
    TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

    def __init__(self, seed_doc: str):
        self.seen: dict[str, str] = {}
        self.seed_doc = seed_doc

    def _name(self, kind: str, value: str) -> str:
        if value in SEEDED:
            return SEEDED[value]
        if value in self.seed_doc:
            return value
        if value not in self.seen:
            count = sum(v.startswith("<" + kind) for v in self.seen.values())
            self.seen[value] = f"<{kind} {count + 1}>"
        return self.seen[value]

    def __call__(self, text: str) -> str:
        text = self.UUID.sub(lambda m: self._name("id", m.group()), text)
        text = self.MAC.sub(lambda m: self._name("mac", m.group()), text)
        return self.TIME.sub("<time>", text)


def _fill(value, kept: dict):
    if isinstance(value, str):
        return value.format(**kept) if "{" in value and "}" in value and \
            not value.startswith("{\"") else value
    if isinstance(value, list):
        return [_fill(v, kept) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, kept) for k, v in value.items()}
    return value


def replay(make_api, requests, monkeypatch) -> str:
    """The transcript of requests (method, path, body, name to keep the created id under
    [, headers]) against the API make_api() builds once generated ids and MACs are seeded."""
    seeded = random.Random
    ids = seeded(1)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=ids.getrandbits(128), version=4))
    monkeypatch.setattr(random, "Random", lambda *seed: seeded(7))
    api = make_api()
    normal = Normal(json.dumps(api.keeper.doc))
    kept, out = {}, []
    for method, path, body, keep, *headers in requests:
        headers = headers[0] if headers else None
        path, body = _fill(path, kept), _fill(body, kept)
        announced = len(api.changes)
        code, answer = call(api, method, path, body, headers=headers, raw_path=path == "/")
        if keep:
            assert code == 201, (path, answer)
            kept[keep] = next(iter(answer.values()))["id"]
        shown = body if not isinstance(body, bytes) else (
            body[:60].decode(errors="replace") + f"... ({len(body)} bytes)")
        out.append(f"### {method} {path}" + (f"  {json.dumps(shown, sort_keys=True)}"
                                             if body is not None else ""))
        out.append(f"{code} {json.dumps(answer, indent=1, sort_keys=True)}")
        for change in api.changes[announced:]:  # what each change reaches
            out.append(f"change {change.what}: " + ", ".join(
                f"{node} {work.kind}" + (f" {sorted(work.networks)}" if work.networks
                                             else "")
                + (" +members" if work.members and work.kind != "members" else "")
                for node, work in sorted(change.nodes.items())))
    return normal("\n".join(out)) + "\n"


def check(name: str, text: str, what: str) -> None:
    """A transcript equals tests/golden/<name>, and none of its requests was a 500."""
    assert "\n500 " not in text, f"a request of {what} was an internal error"
    golden.check(name, text, what)
