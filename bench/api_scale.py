"""Benchmark 9: one port created through the API on a 100,000-port cloud, request to response.

The synthetic cloud of benchmark 4 (1,000 nodes, 1,000 networks, 100,000 ports) is the
controller's state (a Keeper with its SQLite store, as in the controller); each request is
a real POST /v2.0/ports through the API's WSGI application (body parsed, attributes
converted, the change checked, saved and planned, the answer built), without a switch: the
flows follow afterwards, by the node workers. Measured: the request's wall time. Baseline:
the same request with the in-place path turned off (copy the document, validate all of it),
in the same run. The ports are created on nodes that already host their network.
"""
from __future__ import annotations

import json
import os
import tempfile
import time

import webob

from bench import synthetic
from bench.report import Figure
from controller.api import Api, Runtime
from controller.keeper import Keeper
from controller.store import Store

COMPUTES, NETWORKS, PORTS = 1000, 1000, 100_000
GOAL_MS = 10.0


def _api(folder: str, seed: str, in_place: bool) -> Api:
    keeper = Keeper(Store(os.path.join(folder, f"state-{in_place}.sqlite")), seed,
                    lambda change: None, in_place=in_place)
    return Api(keeper, Runtime())


def _create(api: Api, network_id: str, node: str) -> float:
    body = json.dumps({"port": {"network_id": network_id, "binding:host_id": node}})
    req = webob.Request.blank("/v2.0/ports", method="POST", body=body.encode(),
                              content_type="application/json")
    started = time.perf_counter()
    resp = req.get_response(api)
    elapsed = time.perf_counter() - started
    if resp.status_int != 201:
        raise RuntimeError(f"port create answered {resp.status}: {resp.text[:300]}")
    return elapsed


def run(quick: bool = False) -> list[Figure]:
    doc = synthetic.document(COMPUTES, NETWORKS, PORTS, name="bapi")
    creates, baseline_creates = (20, 2) if quick else (100, 3)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        seed = os.path.join(folder, "cloud.json")
        with open(seed, "w") as fh:
            json.dump(doc, fh)
        fast = _api(folder, seed, True)
        targets = [(net["id"], doc["ports"][i * (PORTS // NETWORKS)]["node"])
                   for i, net in enumerate(doc["networks"])]
        samples = [_create(fast, *targets[i % len(targets)]) * 1000 for i in range(creates)]
        made_in_place = fast.keeper.in_place_count
        slow = _api(folder, seed, False)
        baseline = [_create(slow, *targets[i]) * 1000 for i in range(baseline_creates)]
    figure = Figure("9 api", f"one port created through the API on a {PORTS:,}-port cloud "
                    f"({COMPUTES:,} nodes), request to response", "ms", samples, baseline,
                    "copy + validate all", goal=f"median < {GOAL_MS:.0f} ms",
                    note=f"{made_in_place} of {creates} creates made in place")
    figure.met = figure.median < GOAL_MS
    return [figure]
