import pytest

from mininet_topos.deployment import Deployment
from tests.conftest import SEED
from tests.support.clean import leftovers, recorded_pids

pytestmark = pytest.mark.integration


def run_deployment(path: str):
    """The body of a module-scoped deployment fixture (`yield from run_deployment(path)`):
    start and converge, hand out, stop; then nothing it started may be left, and its
    controller must have logged no failure."""
    d = Deployment.from_file(str(path))
    try:
        d.start()
        pids = recorded_pids(d)
        yield d
        assert not d.controller.failures(), "controller log:\n" + "\n".join(
            d.controller.failures())
    finally:
        d.stop()
    left = leftovers(d.ec.rundir, pids)
    assert not left, f"the deployment left: {left}"


@pytest.fixture(scope="module")
def seed():
    """The seed cloud with its controller, converged; shared by a module's tests, which only
    observe or restore what they change (one emulated cloud owns the segments at a time)."""
    yield from run_deployment(SEED)


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


def bridge_labels(cloud) -> list[str]:
    """"node/bridge" of every bridge the controller programs (br-ex on network nodes)."""
    from flows.desired import bridges_of
    return [f"{n.name}/{b}" for n in cloud.nodes for b in bridges_of(n)]
