"""The controller's one current cloud, how it changes, and where it is kept.

`Keeper.change(op)` runs an operation of cloud/ops.py on a copy of the document, validates
the whole result with cloud/schema (400 on any fault, naming the entry), saves it to the store,
and only then makes it current and tells the controller (which re-syncs every node: nodes the
change does not concern compute an empty diff and get no bundle). A refused change leaves
document, store and switches as they were.
"""
from __future__ import annotations

import copy
import json
import logging
from typing import Any, Callable

from cloud import schema
from cloud.model import Cloud
from cloud.ops import Refused
from controller.store import Store

LOG = logging.getLogger("overlay.keeper")
SOURCE = "api"


class Keeper:
    def __init__(self, store: Store, seed_file: str, on_change: Callable[[Cloud], None]):
        """The store's cloud if it has one, else the seed file's (saved as version 1)."""
        self.store = store
        self.on_change = on_change
        saved = store.load()
        if saved is None:
            doc = json.loads(json.dumps(schema.read(seed_file)))  # JSON-clean copy
            self.cloud = schema.parse(doc, seed_file)
            self.version = 1
            store.save(self.version, doc)
            LOG.info("state %s: new, seeded from %s", store.path, seed_file)
        else:
            self.version, doc = saved
            self.cloud = schema.parse(doc, store.path)
            LOG.info("state %s: version %d, %d networks, %d ports", store.path, self.version,
                     len(self.cloud.networks), len(self.cloud.ports))
        self.doc = doc

    def change(self, op: Callable[[dict], Any], what: str) -> Any:
        """Apply op(document) -> document or (document, result); returns the result."""
        out = op(copy.deepcopy(self.doc))
        doc, result = out if isinstance(out, tuple) else (out, None)
        try:
            cloud = schema.parse(doc, SOURCE)
        except schema.CloudError as exc:
            raise Refused(400, "Invalid input: " + "; ".join(
                f"{entry}: {fault}" for entry, fault in exc.faults)) from None
        self.store.save(self.version + 1, doc)
        self.version += 1
        self.doc, self.cloud = doc, cloud
        LOG.info("change %d: %s", self.version, what)
        self.on_change(cloud)
        return result
