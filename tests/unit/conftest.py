"""The REST API over a Keeper with a real SQLite store, seeded from the seed cloud, and a
fake of the running controller (bridges, plugged devices, agents)."""
import atexit
import os
import shutil
import tempfile

import pytest

from controller.agents import Agents
from controller.api import Api, Runtime
from controller.keeper import Keeper
from controller.store import Store
from tests.conftest import SEED


class FakeRuntime(Runtime):
    """compute1's br-int connected, nothing else; devices in `plugged` are on their bridge."""

    def __init__(self):
        self.devices: set[tuple[str, str, str]] = set()
        self.agents_state = Agents()
        self.keeper = None

    def bridges(self, node):
        return {"br-int": node == "compute1", "br-tun": False}

    def plugged(self, node, bridge, device):
        return (node, bridge, device) in self.devices

    def agents(self):
        return self.agents_state.views(self.keeper.cloud, lambda node: node == "compute1")

    def heartbeat(self, host):
        for kind in ("dhcp", "l3"):
            self.agents_state.beat(kind, host)


_SEEDED: list[str] = []


def _seeded_store(path: str) -> Store:
    """A store holding the seed cloud as a new Keeper saves it (copied from one made once:
    seeding reads and checks the cloud file, the slowest part of a test's setup)."""
    if not _SEEDED:
        folder = tempfile.mkdtemp(prefix="overlay-seeded-")
        atexit.register(shutil.rmtree, folder, True)
        template = os.path.join(folder, "seed.sqlite")
        Keeper(Store(template), SEED, lambda change: None).store.close()  # (checkpoints WAL)
        _SEEDED.append(template)
    shutil.copyfile(_SEEDED[0], path)
    return Store(path)


def make_api(path, token=None, seed=None):
    """The API over a Keeper of the seed cloud (or of the cloud file `seed`)."""
    changes = []
    store = Store(str(path)) if seed else _seeded_store(str(path))
    keeper = Keeper(store, seed or SEED, changes.append)
    runtime = FakeRuntime()
    runtime.keeper = keeper
    app = Api(keeper, runtime, *(("token", token) if token else ()))
    app.changes, app.path = changes, str(path)
    return app


@pytest.fixture
def api(tmp_path):
    return make_api(tmp_path / "state.sqlite")
