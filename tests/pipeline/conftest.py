import pytest

from flows import cloudsim


@pytest.fixture
def sim(seed_cloud):
    """Every node of the seed cloud, its computed flows loaded into the table simulator."""
    return cloudsim.build(seed_cloud)


@pytest.fixture
def ports(seed_cloud):
    """The seed's ports by name."""
    return {p.name: p for p in seed_cloud.ports}
