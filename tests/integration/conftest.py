import pytest

from mininet_topos.deployment import Deployment
from tests.conftest import SEED
from tests.support.clean import leftovers, recorded_pids

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seed():
    """The seed cloud with its controller, converged; shared by a module's tests, which only
    observe or restore what they change (one emulated cloud owns the segments at a time)."""
    d = Deployment.from_file(SEED)
    try:
        d.start()
        pids = recorded_pids(d)
        yield d
    finally:
        d.stop()
    left = leftovers(d.ec.rundir, pids)
    assert not left, f"the seed deployment left: {left}"


@pytest.fixture(autouse=True)
def controller_log_stays_clean(request):
    """Fail the test during which the controller logged an error, exception or OpenFlow
    error (only for tests that use a deployment)."""
    d = request.getfixturevalue("seed") if "seed" in request.fixturenames else None
    before = len(d.controller.failures()) if d else 0
    yield
    if d is not None:
        new = d.controller.failures()[before:]
        assert not new, "controller log:\n" + "\n".join(new)
