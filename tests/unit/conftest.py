"""The REST API over a Keeper with a real SQLite store, seeded from the seed cloud."""
import pytest

from controller.api import Api
from controller.keeper import Keeper
from controller.store import Store
from tests.conftest import SEED


@pytest.fixture
def api(tmp_path):
    changes = []
    keeper = Keeper(Store(str(tmp_path / "state.sqlite")), SEED, changes.append)
    app = Api(keeper, lambda node: {"br-int": True, "br-tun": False})
    app.changes, app.keeper, app.path = changes, keeper, str(tmp_path / "state.sqlite")
    return app
